"""Writers compared on the same evidence: for each case of a ``real_keep.py --dump`` file (the
reader's kept sentences, their token counts and scores), the evidence the engine's writer
policy puts in ``--budget`` tokens (``writer.writer_sentences``, document order) is given to
each writer, which answers with the engine's prompt, stop rule and repetition guard.

Per writer: answers right (the set's answer keys), right among the cases whose evidence holds
every gold sentence, right with the gold given (missing gold sentences appended to the
evidence, next to the question), and seconds per answer.

    python benchmarks/writer_answers.py /tmp/kept_report.jsonl --split report \\
        --writers embedded,qwen2.5-coder-0.5b,qwen2.5-coder-1.5b --budget 400
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from infiniretri_core import InfiniRetri
from infiniretri_core.bench.realqa import real_cases
from infiniretri_core.local_writer import WRITER_OPTIONS
from infiniretri_core.writer import writer_sentences


def evidence(kept: dict[str, Any], budget: int | None) -> list[str]:
    chosen = writer_sentences(kept["tokens"], kept["scores"], budget, "document")
    return [kept["texts"][i] for i in chosen]


def load(name: str, guard: str) -> InfiniRetri:
    model = None if name == "embedded" else name
    repeat_guard = None if guard == "none" else int(guard)
    return InfiniRetri.from_pretrained(
        model, **WRITER_OPTIONS, repeat_guard=repeat_guard, writer=None
    )


def answer(writer: InfiniRetri, texts: list[str], question: str, n: int) -> tuple[str, float]:
    t0 = time.perf_counter()
    text = writer.write(" ".join(texts), question, n)
    return text, time.perf_counter() - t0


def run_writer(name: str, cases: list[Any], kept: dict[str, Any], args: Any) -> dict[str, Any]:
    writer = load(name, args.repeat_guard)
    right = given = held = held_right = 0.0
    seconds = []
    for case in cases:
        texts = evidence(kept[case.name], args.budget)
        text, took = answer(writer, texts, case.question, args.max_new_tokens)
        seconds.append(took)
        ok = case.score(text)
        whole = case.recall(" ".join(texts)) == 1.0
        held += whole
        held_right += ok if whole else 0.0
        if not whole:  # the gold given: the missing gold sentences next to the question
            flat = " ".join(" ".join(texts).split())
            missing = [g for g in case.needles if " ".join(g.split()) not in flat]
            oracle, _ = answer(writer, texts + missing, case.question, args.max_new_tokens)
        given += ok if whole else case.score(oracle)
        right += ok
        row = {"writer": name, "case": case.name, "right": ok, "gold in": whole, "answer": text}
        row["guard"] = args.repeat_guard
        print(json.dumps(row, ensure_ascii=False), flush=True)
    n = len(cases)
    return {
        "writer": name,
        "right": round(right / n, 3),
        "right | gold in": round(held_right / max(held, 1), 3),
        "gold in": int(held),
        "right, gold given": round(given / n, 3),
        "s/answer": round(sum(seconds) / n, 2),
        "n": n,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dump")
    ap.add_argument("--split", default="report")
    ap.add_argument("--writers", default="embedded")
    ap.add_argument("--budget", type=int, help="evidence tokens (default: all kept)")
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--repeat-guard", default="16", help="an int, or none: no guard")
    args = ap.parse_args(argv)
    with open(args.dump) as f:
        kept = {r["case"]: r for r in map(json.loads, f)}
    cases = [c for c in real_cases(args.split) if c.name in kept]  # type: ignore[arg-type]
    table = [run_writer(name, cases, kept, args) for name in args.writers.split(",")]
    for line in table:
        print(json.dumps(line), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
