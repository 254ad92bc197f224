"""Our engine against the authors' ``infini-retri==0.0.3`` on the same model and documents.

Each system runs in its own subprocess (so peak RSS is its own), on the same NIH haystacks,
same weights (the embedded SmolLM2-135M-Instruct, fp32 on CPUs without native bf16), same
top-K (300), chunk size (1024) and phrase width (8). The authors' code needs eager attention
and scores with the last layer; it runs unpatched. Prints one JSON line per run and the ratio
of seconds per 1k document tokens.

    pip install -e ".[bench]"
    python benchmarks/vs_authors.py --length 8k --depths 25,75
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def run_one(system: str, length: int, depth: float) -> dict[str, object]:
    import torch
    from infiniretri_core import InfiniRetri, haystack

    engine = InfiniRetri.from_pretrained(writer=None)
    doc = haystack.build(engine.tokenizer, length, depth)
    n_tokens = len(engine.tokenizer(doc, add_special_tokens=False)["input_ids"])
    if system == "ours":
        t0 = time.perf_counter()
        ans = engine.answer(doc, haystack.QUESTION, max_new_tokens=30)
        seconds, text = time.perf_counter() - t0, ans.text
        kept = any("Dolores Park" in e.text for e in ans.evidence)
    else:
        from infini_retri import InfiniRetri as Authors
        from transformers import AutoModelForCausalLM

        path = engine.model.config._name_or_path
        dtype = next(engine.model.parameters()).dtype
        del engine
        model = AutoModelForCausalLM.from_pretrained(
            path, dtype=dtype, attn_implementation="eager"
        ).eval()
        from transformers import AutoTokenizer

        ir = Authors(
            model,
            AutoTokenizer.from_pretrained(path),
            topk=300,
            answer_length=8,
            window_length=1024,
        )
        t0 = time.perf_counter()
        with torch.inference_mode():
            text = ir.generate(context=doc, question=haystack.QUESTION, max_new_tokens=30)
        seconds, kept = time.perf_counter() - t0, None
    return {
        "system": system,
        "tokens": n_tokens,
        "depth": depth,
        "seconds": round(seconds, 2),
        "s_per_1k": round(seconds / n_tokens * 1000, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "score": haystack.word_recall(text),
        "needle_in_cache": kept,
        "answer": text,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--length", default="8k")
    ap.add_argument("--depths", default="25,75")
    ap.add_argument("--one", nargs=3, metavar=("SYSTEM", "LENGTH", "DEPTH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        system, length, depth = args.one
        print(json.dumps(run_one(system, int(length), float(depth))))
        return 0
    length = int(float(args.length.rstrip("kK")) * 1000)
    rows = []
    for depth in [int(d) / 100 for d in args.depths.split(",")]:
        for system in ("ours", "authors"):
            out = subprocess.run(
                [sys.executable, __file__, "--one", system, str(length), str(depth)],
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), flush=True)
    ours = [r for r in rows if r["system"] == "ours"]
    theirs = [r for r in rows if r["system"] == "authors"]
    ratio = sum(float(r["s_per_1k"]) for r in ours) / sum(float(r["s_per_1k"]) for r in theirs)
    print(json.dumps({"ratio_s_per_1k_ours_over_authors": round(ratio, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
