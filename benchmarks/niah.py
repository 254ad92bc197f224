"""The paper's NIH grid on the Paul Graham essays: word-recall of the answer, whether the
needle sentence survived in the final cache, tokens kept, seconds per 1k tokens, peak RSS.

    python benchmarks/niah.py --lengths 8k,16k,32k --depths 0,25,50,75,100 --out results/niah
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from infiniretri_core import InfiniRetri, haystack


def _tokens(s: str) -> int:
    s = s.strip().lower()
    if s.endswith("m"):
        return int(float(s[:-1]) * 1_000_000)
    if s.endswith("k"):
        return int(float(s[:-1]) * 1_000)
    return int(s)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lengths", default="8k,16k,32k")
    ap.add_argument("--depths", default="0,25,50,75,100")
    ap.add_argument("--model", default=None)
    ap.add_argument("--layer", default="auto")
    ap.add_argument("--answer-max-tokens", type=int, default=None)
    ap.add_argument("--out", default="results/niah")
    args = ap.parse_args()
    layer = int(args.layer) if args.layer.lstrip("-").isdigit() else args.layer
    engine = InfiniRetri.from_pretrained(
        args.model, layer=layer, answer_max_tokens=args.answer_max_tokens
    )
    cells = []
    for length in [_tokens(x) for x in args.lengths.split(",")]:
        for depth in [int(x) for x in args.depths.split(",")]:
            doc = haystack.build(engine.tokenizer, length, depth / 100)
            t0 = time.perf_counter()
            ans = engine.answer(doc, haystack.QUESTION, max_new_tokens=30)
            seconds = time.perf_counter() - t0
            cell = {
                "length": length,
                "depth": depth,
                "score": haystack.word_recall(ans.text),
                "needle_in_cache": any("Dolores Park" in e.text for e in ans.evidence),
                "needle_to_writer": any("Dolores Park" in e.text for e in ans.writer_evidence),
                "tokens_read": ans.selection.tokens_read,
                "tokens_kept": ans.selection.tokens_kept,
                "writer_tokens": ans.writer_tokens,
                "tokens_processed": ans.selection.tokens_processed,
                "seconds": round(seconds, 2),
                "s_per_1k": round(seconds / ans.selection.tokens_read * 1000, 3),
                "peak_rss_mb": round(peak_rss_mb()),
                "answer": ans.text,
            }
            cells.append(cell)
            print(json.dumps(cell), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = {
        "model": args.model or "SmolLM2-135M-Instruct (embedded)",
        "layer": engine.layer,
        "config": {k: v for k, v in vars(engine.config).items() if k != "prompt_template"},
        "mean_score": sum(c["score"] for c in cells) / len(cells),
        "needle_in_cache": sum(c["needle_in_cache"] for c in cells) / len(cells),
        "mean_s_per_1k": sum(c["s_per_1k"] for c in cells) / len(cells),
        "cells": cells,
    }
    (out / "results.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "cells"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
