"""Several questions, one reading: questions per minute of ``select_many`` against ``select``.

One Paul Graham haystack with 8 different facts at spread depths and one question per fact.
The same process reads it (a) once per question with :meth:`select`, (b) with
:meth:`select_many` for groups of N questions; it records wall time, questions per minute,
CPU time (less sensitive to other processes on the machine), whether each question's fact is
in its final cache, the union of the caches, the tokens that
went through the model per step and the peak RSS added while reading.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import haystack
from ..errors import InputError
from .cases import sentence_ends
from .common import engine_config, write_json

RESULTS = "many.json"

FACTS: tuple[tuple[str, str, str], ...] = (
    (
        "The secret code for the blue vault is 48213.",
        "What is the secret code for the blue vault?",
        "48213",
    ),
    (
        "Marta's favourite fruit is the yellow mango from Kerala.",
        "What is Marta's favourite fruit?",
        "mango",
    ),
    (
        "The night train to Vienna leaves from platform seventeen.",
        "From which platform does the night train to Vienna leave?",
        "seventeen",
    ),
    (haystack.NEEDLE, haystack.QUESTION, "Dolores Park"),
    (
        "Professor Okafor keeps her spare keys inside a green teapot.",
        "Where does Professor Okafor keep her spare keys?",
        "teapot",
    ),
    (
        "The lighthouse on Gull Island was painted orange in 1987.",
        "What colour was the lighthouse on Gull Island painted?",
        "orange",
    ),
    (
        "Tomas named his sailing boat the Silver Heron.",
        "What did Tomas name his sailing boat?",
        "Silver Heron",
    ),
    (
        "The bakery on Elm Street sells cardamom buns every Thursday.",
        "What does the bakery on Elm Street sell every Thursday?",
        "cardamom",
    ),
)
"""(fact sentence, question, a phrase only that fact holds)."""


def build(tokenizer: Any, length: int, n_facts: int = len(FACTS)) -> tuple[str, list[int]]:
    """The haystack with ``n_facts`` facts at depths spread over 5..95%; their depths."""
    if not 1 <= n_facts <= len(FACTS):
        raise InputError(f"between 1 and {len(FACTS)} facts, got {n_facts}")
    depths = [round(5 + 90 * i / max(1, n_facts - 1)) for i in range(n_facts)]
    doc = haystack.build(tokenizer, length, depths[0] / 100, needle=FACTS[0][0])
    for (fact, _, _), depth in zip(FACTS[1:n_facts], depths[1:], strict=True):
        ends = sentence_ends(doc)
        cut = min(ends, key=lambda e: abs(e - depth / 100 * len(doc)))
        doc = doc[:cut] + " " + fact + doc[cut:]
    return doc, depths


def _kept(selection: Any, mark: str) -> bool:
    return any(mark in e.text for e in selection.evidence)


def _run(label: str, fn: Any, marks: Sequence[str]) -> dict[str, Any]:
    steps: list[int] = []

    def progress(p: Any) -> None:
        steps.append(p.tokens_kept)

    t0, c0 = time.perf_counter(), time.process_time()
    sels = fn(progress)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    added = [
        (s.peak_rss_bytes or 0) - (s.start_rss_bytes or 0)
        for s in sels
        if s.peak_rss_bytes is not None
    ]
    row = {
        "system": label,
        "questions": len(sels),
        "seconds": round(seconds, 2),
        "questions_per_min": round(60 * len(sels) / seconds, 3),
        "cpu_seconds": round(cpu, 2),
        "questions_per_cpu_min": round(60 * len(sels) / cpu, 3),
        "needle_in_cache": [_kept(s, m) for s, m in zip(sels, marks, strict=True)],
        "cache_tokens": [s.tokens_kept for s in sels],
        "max_union_cache_tokens": max(steps) if steps else 0,
        "tokens_per_step": max(s.tokens_processed // s.num_chunks for s in sels),
        "peak_rss_added_mb": round(max(added) / 2**20) if added else None,
        "peak_rss_mb": round(max(s.peak_rss_bytes or 0 for s in sels) / 2**20),
    }
    print(f"{label}: {row['seconds']} s ({row['cpu_seconds']} s CPU)", file=sys.stderr, flush=True)
    return row


def run(
    engine: Any, length: int, out: str | Path, sizes: Sequence[int] = (8, 4), n: int = 8
) -> dict[str, Any]:
    """Measure (a) ``select`` once per question, (b) ``select_many`` per group size."""
    doc, depths = build(engine.tokenizer, length, n)
    questions = [f[1] for f in FACTS[:n]]
    marks = [f[2] for f in FACTS[:n]]
    engine.select(doc[:2000], questions[0])  # warm-up: first-call costs out of the timings
    n_tokens = engine.prepare(doc).num_tokens
    rows = []

    def singles(progress: Any) -> list[Any]:
        return [engine.select(doc, q, progress) for q in questions]

    row = _run("select x N (N=1)", singles, marks)
    rows.append(row)
    for size in sizes:
        if not 1 <= size <= n:
            raise InputError(f"a group size is in 1..{n}, got {size}")

        def many(progress: Any, size: int = size) -> list[Any]:
            sels: list[Any] = []
            for g in range(0, n, size):
                sels.extend(engine.select_many(doc, questions[g : g + size], progress))
            return sels

        row = _run(f"select_many N={size}", many, marks)
        rows.append(row)
    base, base_cpu = rows[0]["questions_per_min"], rows[0]["questions_per_cpu_min"]
    for row in rows:
        row["speedup"] = round(row["questions_per_min"] / base, 2)
        row["cpu_speedup"] = round(row["questions_per_cpu_min"] / base_cpu, 2)
        row["needle_recall"] = round(sum(row["needle_in_cache"]) / n, 3)
    data = {
        "benchmark": "many",
        "config": engine_config(engine),
        "length": length,
        "document_tokens": n_tokens,
        "depths": depths,
        "questions": questions,
        "rows": rows,
    }
    write_json(Path(out) / RESULTS, data)
    return data
