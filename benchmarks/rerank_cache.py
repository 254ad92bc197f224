"""Ranking a read's final cache again with another reader (the cascade's second stage).

Reads the kept sentences that ``real_keep.py --dump`` wrote, gives them to a ranker as one
document of parts (each kept sentence a part, document order), read in one step, and ranks
them by the ranker's score (``rerank.rank_texts``, what ``InfiniRetri(..., ranker=...)``
does); gold in 128 / 400 tokens as ``real_keep.py`` measures it.

    python benchmarks/rerank_cache.py /tmp/kept.jsonl --model qwen2.5-coder-1.5b
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from infiniretri_core import InfiniRetri
from infiniretri_core.bench.realqa import real_cases
from infiniretri_core.rerank import RANKER_OPTIONS, rank_texts
from rank_in_cache import measure, summary


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dump")
    ap.add_argument("--model", help="as from_pretrained (default: the embedded model)")
    ap.add_argument("--options", default="{}", help="ranker options as JSON")
    ap.add_argument("--reverse", action="store_true", help="also read reversed, ranks summed")
    args = ap.parse_args(argv)
    options = {**RANKER_OPTIONS, **json.loads(args.options)}
    ranker = InfiniRetri.from_pretrained(args.model, **{"writer": None, **options})
    print(repr(ranker), file=sys.stderr)
    cases = {c.name: c for c in real_cases("all")}  # type: ignore[arg-type]
    rows: list[dict[str, Any]] = []
    with open(args.dump) as f:
        dumped = [json.loads(line) for line in f]
    for kept in dumped:
        case = cases[kept["case"]]
        texts, tokens = kept["texts"], kept["tokens"]
        row: dict[str, Any] = {"case": case.name}
        row["read"] = measure(case, texts, tokens, list(np.argsort(-np.array(kept["scores"]))))
        if texts:
            t0 = time.perf_counter()
            scores = rank_texts(ranker, texts, case.question)
            order = np.argsort(-scores, kind="stable")
            if args.reverse:
                back = rank_texts(ranker, texts[::-1], case.question)[::-1]
                ranks = np.argsort(order) + np.argsort(np.argsort(-back, kind="stable"))
                order = np.argsort(ranks, kind="stable")
            row["seconds"] = round(time.perf_counter() - t0, 2)
            row["ranker"] = measure(case, texts, tokens, [int(i) for i in order])
            row["order"] = [int(i) for i in order]
        else:
            row["ranker"] = row["read"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(summary(rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
