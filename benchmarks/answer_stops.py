"""Do the answers of an NIH grid stop? For each cell of ``infiniretri bench niah``'s
``results.json`` (run with ``--max-new-tokens N``): the answer's length in the writer's
tokens (under N: it ended at an end of turn, a blank line or a repeat cut, not at the
limit), and whether any sentence in it is written twice.

    infiniretri bench niah --lengths 8k,16k,32k --max-new-tokens 128 --out results/stops
    python benchmarks/answer_stops.py results/stops/results.json --limit 128
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from infiniretri_core import models
from infiniretri_core.answer_guard import StopRule, answer_text


def repeats(text: str) -> bool:
    """A sentence written twice: the guard's own rule, finished sentences only."""
    return answer_text(text, StopRule(), under_way=False) != text


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--limit", type=int, default=128, help="the grid's --max-new-tokens")
    ap.add_argument("--writer", help="the writer's model (default: the embedded one)")
    args = ap.parse_args(argv)
    _, tokenizer = models.load(args.writer)
    with open(args.results) as f:
        cells = json.load(f)["cells"]
    at_limit = repeated = 0
    for cell in cells:
        n = len(tokenizer.encode(cell["answer"], add_special_tokens=False))
        row = {"length": cell["length"], "depth": cell["depth"], "tokens": n}
        row |= {"repeats": repeats(cell["answer"]), "score": cell["score"]}
        at_limit += n >= args.limit
        repeated += row["repeats"]
        print(json.dumps(row))
    print(json.dumps({"cells": len(cells), "at the limit": at_limit, "repeating": repeated}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
