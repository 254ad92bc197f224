"""A real model's captured question rows against eager attention, per layer, in fp32.

The check ``tests/test_families.py`` makes on tiny random-weight models, on real weights: the
prompt around a slice of the NIH haystack longer than the model's sliding window, the rows
``probe.attention_rows`` captures (SDPA everywhere, the rows computed for the question only)
against ``output_attentions`` of the same weights loaded with eager attention.

    python benchmarks/capture_check.py --model gemma-3-270m --tokens 1500 \
        --out docs/results/capture-gemma3-270m.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from infiniretri_core import families, haystack, models, probe
from infiniretri_core.config import InfiniRetriConfig
from infiniretri_core.prompt import prompt_parts
from transformers import AutoModelForCausalLM

QUESTION = "What is the best thing to do in San Francisco?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="name, folder or .gguf (default: embedded)")
    ap.add_argument("--tokens", type=int, default=1500, help="context tokens")
    ap.add_argument("--layers", default="all", help="e.g. 4,5,10,11 (default: every layer)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    ours, tokenizer = models.load(args.model, dtype="float32", device="cpu")
    source = ours.config._name_or_path
    eager = AutoModelForCausalLM.from_pretrained(
        source, dtype=torch.float32, attn_implementation="eager", use_safetensors=True
    ).eval()
    probe.install(ours)
    windows = families.attention_windows(ours)
    n_layers = len(windows)
    cut = next((w for w in windows if w), None) or args.tokens // 2
    layers = list(range(n_layers)) if args.layers == "all" else _ints(args.layers)

    parts = prompt_parts(tokenizer, InfiniRetriConfig().prompt_template, QUESTION)
    context = tokenizer(haystack.essays(), add_special_tokens=False)["input_ids"][: args.tokens]
    ids, _, query_start = parts.build(context)
    n = ids.shape[1]
    t0 = time.perf_counter()
    rows = probe.attention_rows(ours, ids, query_start, layers)
    seconds = time.perf_counter() - t0
    with torch.inference_mode():
        ref = eager(input_ids=ids, output_attentions=True).attentions

    report = []
    for layer in layers:
        got, want = rows[layer][0], ref[layer][0, :, query_start:].float()
        window = windows[layer]
        # per question row and head: attention on keys further back than the model's sliding
        # window (0 on a windowed layer; what a window would cut off on a global one)
        beyond = torch.arange(n)[None, :] <= torch.arange(query_start, n)[:, None] - cut
        spill = float(got[:, beyond].sum() / (got.shape[0] * got.shape[1]))
        entry = {"layer": layer, "window": window, "max_abs_diff": float((got - want).abs().max())}
        report.append({**entry, f"mass_beyond_{cut}": round(spill, 6)})
        print(json.dumps(report[-1]))
    result = {
        "model": source,
        "input_tokens": n,
        "question_rows": n - query_start,
        "capture_seconds": round(seconds, 2),
        "max_abs_diff": max(float(r["max_abs_diff"] or 0.0) for r in report),
        "layers": report,
    }
    print(f"max |capture - eager| over {len(layers)} layers: {result['max_abs_diff']:.2e}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


if __name__ == "__main__":
    main()
