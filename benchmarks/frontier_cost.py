"""What each candidate reader costs, all in one process on one machine: seconds of ``select``
per 1k document tokens on one NIH haystack (needle kept or not), against MiniLM RAG and BM25
(index + rank, the peers of ``bench compare``) on the same haystack, as ratios to RAG.

    python benchmarks/frontier_cost.py --length 8k
    python benchmarks/frontier_cost.py --only paper,focused
    python benchmarks/frontier_cost.py --only focused --add \
        'wide={"scoring": "focused", "chunk_size": 2048, "ranker": "qwen2.5-coder-1.5b"}'

Quality comes from the dev runs (``real_keep.py --dump`` + ``rerank_cache.py``); this gives
the other axis of the frontier. The first call of each engine reads a short warm-up text.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from infiniretri_core import InfiniRetri
from infiniretri_core.bench.cases import niah_case
from infiniretri_core.bench.common import parse_lengths
from infiniretri_core.bench.peers import make

FOCUSED = {"scoring": "focused"}
CANDIDATES: dict[str, tuple[str | None, dict[str, Any], str | None]] = {
    "paper": (None, {"scoring": "paper"}, None),
    "focused": (None, FOCUSED, None),
    "focused+0.5b": (None, FOCUSED, "qwen2.5-coder-0.5b"),
    "focused+1.5b": (None, FOCUSED, "qwen2.5-coder-1.5b"),
    "qwen-0.5b": ("qwen2.5-coder-0.5b", {"scoring": "paper"}, None),
    "qwen-1.5b": ("qwen2.5-coder-1.5b", {"scoring": "paper"}, None),
}
"""name -> (reader model, reader options, ranker model)."""

WARM_UP = "The river was quiet that morning. A heron stood in the reeds. " * 20


def timed_select(engine: InfiniRetri, document: str, question: str) -> tuple[float, int, list[str]]:
    engine.select(WARM_UP, question)
    t0 = time.perf_counter()
    sel = engine.select(document, question)
    return time.perf_counter() - t0, sel.tokens_read, [e.text for e in sel.evidence]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", default="8k")
    ap.add_argument("--only", help="comma-separated candidate names")
    ap.add_argument(
        "--add",
        action="append",
        default=[],
        help='another candidate, NAME=JSON of reader options (with "model" and "ranker")',
    )
    args = ap.parse_args(argv)
    names = args.only.split(",") if args.only else list(CANDIDATES)
    for extra in args.add:
        name, options = extra.split("=", 1)
        given = json.loads(options)
        CANDIDATES[name] = (given.pop("model", None), given, given.pop("ranker", None))
        names.append(name)
    base = InfiniRetri.from_pretrained(writer=None)
    case = niah_case(base.tokenizer, parse_lengths(args.length)[0], 50)
    rows = []
    for peer in ("rag", "bm25"):
        system = make(peer, base)
        system.retrieve(case, 400)  # warm-up: loads the embedder
        got = system.retrieve(case, 400)
        tokens = base.prepare(case.document).num_tokens
        rows.append({"system": peer, "s/1k": got.seconds / tokens * 1000})
    for name in names:
        model, options, ranker = CANDIDATES[name]
        engine = InfiniRetri.from_pretrained(model, ranker=ranker, **{"writer": None, **options})
        seconds, tokens, kept = timed_select(engine, case.document, case.question)
        found = case.recall(" ".join(kept))
        rows.append({"system": name, "s/1k": seconds / tokens * 1000, "kept": found})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        del engine
        gc.collect()
    rag = rows[0]["s/1k"]
    for row in rows:
        row["x RAG"] = round(row["s/1k"] / rag, 2)
        row["s/1k"] = round(row["s/1k"], 3)
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
