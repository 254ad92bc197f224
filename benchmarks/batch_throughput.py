"""Documents per hour: ``infiniretri batch`` in-process vs on a local Ray cluster, same job.

python benchmarks/batch_throughput.py --docs 12 --length 4k --workers 2 --out docs/results/batch

Builds ``--docs`` Paul Graham haystacks of ``--length`` tokens, each with two facts at
different depths and a question for each, writes them as one JSONL input, then runs the same
``infiniretri batch`` command twice, each in a fresh process: in-process (torch on every core)
and ``--ray --workers N --cpus-per-worker C``. Reports wall time (model loading and, for Ray,
cluster start included), documents per hour, document tokens per second, facts kept, and the
largest peak RSS of a reading process. Writes ``throughput.json`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from infiniretri_core import haystack
from infiniretri_core.bench.common import parse_tokens
from infiniretri_core.tokens import encode_one

from infiniretri_integrations._engine import shared_engine

FACTS = [
    ("The secret code for the blue vault is {n}.", "What is the secret code for the blue vault?"),
    (
        "The night train to Vienna leaves from platform {n}.",
        "From which platform does the night train to Vienna leave?",
    ),
]


def build_job(path: Path, docs: int, length: int) -> dict[str, str]:
    """The input JSONL; returns the fact each (id, question) must keep."""
    tok = shared_engine().tokenizer
    essays = haystack.essays()
    ids = encode_one(tok, essays)
    expect: dict[str, str] = {}
    with path.open("w", encoding="utf-8") as f:
        for i in range(docs):
            start = (i * 7919 * 13) % max(1, len(ids) - length)  # a different stretch each
            source = tok.decode(ids[start : start + length + 200])
            facts = [t.format(n=1000 + 37 * i + k) for k, (t, _) in enumerate(FACTS)]
            text = haystack.build(tok, length, (0.15 + 0.1 * i) % 1.0, needle=facts[0], text=source)
            cut = len(text) * 3 // 4
            cut = text.find(". ", cut) + 1 or cut
            text = text[:cut] + " " + facts[1] + text[cut:]
            rid = f"doc{i:03d}"
            questions = [q for _, q in FACTS]
            for fact, q in zip(facts, questions, strict=True):
                expect[f"{rid}\t{q}"] = fact
            f.write(json.dumps({"id": rid, "text": text, "questions": questions}) + "\n")
    return expect


def run_mode(name: str, src: Path, out: Path, extra: list[str], expect: dict[str, str]) -> dict:
    out.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "infiniretri_core.cli",
        "batch",
        str(src),
        "--out",
        str(out),
        "--no-progress",
        "--max-new-tokens",
        "20",
        *extra,
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ})
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    ok = [r for r in lines if "error" not in r]
    docs = {r["id"]: r["tokens_read"] for r in ok}
    kept = sum(
        any(expect[f"{r['id']}\t{r['question']}"] in e["text"] for e in r["evidence"]) for r in ok
    )
    return {
        "mode": name,
        "command": " ".join(["infiniretri batch", src.name, "--out", out.name, *extra]),
        "wall_s": round(wall, 1),
        "documents": len(docs),
        "answers": len(ok),
        "errors": len(lines) - len(ok),
        "facts_kept": kept,
        "documents_per_hour": round(3600 * len(docs) / wall, 1),
        "tokens_read": sum(docs.values()),
        "tokens_per_s": round(sum(docs.values()) / wall, 1),
        "read_seconds_sum": round(sum({r["id"]: r["read_seconds"] for r in ok}.values()), 1),
        "peak_rss_mb_max": round(max(r["peak_rss_bytes"] or 0 for r in ok) / 2**20),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=12)
    ap.add_argument("--length", default="4k")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cpus-per-worker", default="1")
    ap.add_argument("--out", default="results/batch")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    src = out / "input.jsonl"
    expect = build_job(src, args.docs, parse_tokens(args.length))
    rows = [
        run_mode("in-process", src, out / "local.jsonl", [], expect),
        run_mode(
            f"ray local, {args.workers} workers x {args.cpus_per_worker} CPU",
            src,
            out / "ray.jsonl",
            ["--ray", "--workers", str(args.workers), "--cpus-per-worker", args.cpus_per_worker],
            expect,
        ),
    ]
    result = {
        "benchmark": "batch throughput",
        "cpus": os.cpu_count(),
        "docs": args.docs,
        "length": parse_tokens(args.length),
        "questions_per_doc": len(FACTS),
        "rows": rows,
        "ray_over_in_process_docs_per_hour": round(
            rows[1]["documents_per_hour"] / rows[0]["documents_per_hour"], 3
        ),
    }
    src.unlink()  # large and regenerated by this script
    (out / "throughput.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for r in rows:
        print(json.dumps(r))
    print("ray / in-process documents per hour:", result["ray_over_in_process_docs_per_hour"])


if __name__ == "__main__":
    main()
