"""Markdown tables of a comparison: one row per system and length, then scores per task."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _mean(values: Sequence[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return sum(got) / len(got) if got else None


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _range(values: Sequence[int | None]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return "n/a"
    lo, hi = min(got), max(got)
    return f"{lo:,}" if lo == hi else f"{lo:,}-{hi:,}"


def _all(recall: float | None) -> float | None:
    return None if recall is None else float(recall == 1.0)


def _label(tokens: int) -> str:
    return f"{tokens / 1000:g}k" if tokens >= 1000 and tokens % 100 == 0 else str(tokens)


def markdown(data: dict[str, Any]) -> str:
    """System x length (score, needle recall, share of cases with every needed sentence in
    the context (two-hop: both hops), s / 1k, peak RSS, writer tokens), then system x task
    scores; a system that could not run says why instead of showing numbers."""
    rows = data["rows"]
    systems = list(dict.fromkeys([*data.get("systems", []), *(r["system"] for r in rows)]))
    lengths = sorted({c["length"] for c in data["cases"]})
    tasks = list(dict.fromkeys(c["task"] for c in data["cases"]))
    lines = [
        "| system | length | cases | score | needle in context | all needles in context "
        "| s / 1k tokens | peak RSS (MB) | tokens to the writer |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    failures: list[str] = []
    for system in systems:
        mine = [r for r in rows if r["system"] == system]
        broken = [r for r in mine if "error" in r and r.get("case") is None]
        if broken:
            lines.append(f"| {system} | all | - | could not run | | | | | |")
            failures.append(f"- **{system}**: {broken[0]['error']}")
            continue
        for n in lengths:
            ok = [r for r in mine if r["length"] == n and "error" not in r]
            bad = [r for r in mine if r["length"] == n and "error" in r]
            failures += [f"- **{system}**, {r['case']}: {r['error']}" for r in bad]
            if not ok:
                if bad:
                    lines.append(f"| {system} | {_label(n)} | {len(bad)} | failed | | | | | |")
                continue
            lines.append(
                f"| {system} | {_label(n)} | {len(ok)} | {_fmt(_mean([r['score'] for r in ok]))} "
                f"| {_fmt(_mean([r['recall'] for r in ok]))} "
                f"| {_fmt(_mean([_all(r['recall']) for r in ok]))} "
                f"| {_fmt(_mean([r['s_per_1k'] for r in ok]))} "
                f"| {_range([r['peak_rss_mb'] for r in ok])} "
                f"| {_range([r['writer_tokens'] for r in ok])} |"
            )
    lines += ["", "| system | " + " | ".join(tasks) + " |", "|---" * (len(tasks) + 1) + "|"]
    for system in systems:
        cells = []
        for task in tasks:
            ok = [
                r
                for r in rows
                if r["system"] == system and r.get("task") == task and "error" not in r
            ]
            cells.append(f"{_fmt(_mean([r['score'] for r in ok]))} ({len(ok)})" if ok else "-")
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    if failures:
        lines += ["", "Could not run / failed:", *failures]
    return "\n".join(lines) + "\n"
