"""Real questions read end to end, several per document in one read: is the gold kept, and
is it in the writer's 128 / 400 tokens (the read's own ranking), against MiniLM RAG and BM25
ranking every sentence of the document at the same budgets.

Questions about one document are read together (``select_many``: one forward per step for
all of them, each question seeing only its own cache, as a read of it alone would), so a
split costs about one read per document.

    python benchmarks/real_keep.py --split dev --per-doc 6 --options '{"scoring": "paper"}'
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from itertools import groupby
from typing import Any

import numpy as np
from infiniretri_core import InfiniRetri
from infiniretri_core.bench.peers import make
from infiniretri_core.bench.peers.units import units
from infiniretri_core.bench.realqa import real_cases
from rank_in_cache import measure, summary


def run(
    engine: InfiniRetri, split: str, per_doc: int | None, peers: bool, dump: Any = None
) -> list[dict[str, Any]]:
    cases = real_cases(split)  # type: ignore[arg-type]
    rows = []
    bm25, rag = (make("bm25", engine), make("rag", engine)) if peers else (None, None)
    for _, group in groupby(cases, key=lambda c: c.document):
        chosen = list(group)[:per_doc]
        t0 = time.perf_counter()
        selections = engine.select_many(chosen[0].document, [c.question for c in chosen])
        seconds = time.perf_counter() - t0
        doc = engine.prepare(chosen[0].document)
        u = units(engine, chosen[0].document) if peers else None
        for case, sel in zip(chosen, selections, strict=True):
            texts = [e.text for e in sel.evidence]
            tokens = [int(doc.lengths[e.sentence]) for e in sel.evidence]
            peak = np.array([e.score for e in sel.evidence])
            ranking = [int(i) for i in np.argsort(-peak, kind="stable")]
            row: dict[str, Any] = {"case": case.name, "seconds/doc": round(seconds, 1)}
            row["ours"] = measure(case, texts, tokens, ranking)
            for peer in (bm25, rag) if u is not None else ():
                order = np.argsort(-peer.scores(u.texts, case.question), kind="stable")
                row[peer.name] = measure(case, u.texts, [int(t) for t in u.tokens], order[:400])
            rows.append(row)
            print(json.dumps(row), flush=True)
            if dump is not None:
                kept = {"case": case.name, "texts": texts, "tokens": tokens}
                print(json.dumps({**kept, "scores": peak.tolist()}), file=dump, flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev")
    ap.add_argument("--per-doc", type=int, help="the first N questions of each document")
    ap.add_argument("--model", help="as from_pretrained (default: the embedded model)")
    ap.add_argument("--options", default="{}", help="engine options as JSON")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--dump", help="write each case's kept sentences (JSON lines) here")
    args = ap.parse_args(argv)
    options = {"writer": None, "ranker": None, **json.loads(args.options)}  # the read alone
    engine = InfiniRetri.from_pretrained(args.model, **options)
    print(repr(engine), "heads", engine.options().heads, file=sys.stderr)
    dump = open(args.dump, "w") if args.dump else None  # noqa: SIM115
    rows = run(engine, args.split, args.per_doc, not args.no_peers, dump)
    print(summary(rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
