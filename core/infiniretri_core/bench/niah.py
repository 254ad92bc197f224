"""The paper's needle-in-a-haystack grid: lengths x depths, greedy, 30 new tokens, word recall.

Results go to ``results.json`` one cell at a time, so a long run that is killed keeps what it
finished, and a second run with the same output folder only reads the missing cells.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import haystack
from ..errors import InputError
from .common import engine_config, peak_rss_mb, read_json, write_json

NEEDLE_MARK = "Dolores Park"
"""A phrase of the needle that no essay contains: the needle is in a text iff this is."""

RESULTS = "results.json"
HEATMAP = "heatmap.png"


def run_cell(
    engine: Any, length: int, depth: int, max_new_tokens: int = 30, bar: Any = None
) -> dict[str, Any]:
    """One NIH cell: build the haystack, read it, answer, score."""
    doc = haystack.build(engine.tokenizer, length, depth / 100)

    def progress(p: Any) -> None:
        if bar is not None:
            bar.set_postfix(chunk=f"{p.chunk}/{p.num_chunks}", kept=p.tokens_kept, refresh=True)

    t0 = time.perf_counter()
    ans = engine.answer(doc, haystack.QUESTION, progress=progress, max_new_tokens=max_new_tokens)
    seconds = time.perf_counter() - t0
    rss = peak_rss_mb()
    return {
        "length": length,
        "depth": depth,
        "score": haystack.word_recall(ans.text),
        "answered": haystack.answers_needle(ans.text),
        "needle_in_cache": any(NEEDLE_MARK in e.text for e in ans.evidence),
        "needle_to_writer": any(NEEDLE_MARK in e.text for e in ans.writer_evidence),
        "tokens_read": ans.selection.tokens_read,
        "tokens_kept": ans.selection.tokens_kept,
        "writer_tokens": ans.writer_tokens,
        "tokens_processed": ans.selection.tokens_processed,
        "seconds": round(seconds, 2),
        "s_per_1k": round(seconds / ans.selection.tokens_read * 1000, 3),
        "peak_rss_mb": None if rss is None else round(rss),
        "answer": ans.text,
    }


def summarize(cells: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(cells)
    if not n:
        return {
            "mean_score": None,
            "answered": None,
            "needle_in_cache": None,
            "mean_s_per_1k": None,
        }
    return {
        "mean_score": round(sum(c["score"] for c in cells) / n, 4),
        "answered": round(sum(c.get("answered", False) for c in cells) / n, 4),
        "needle_in_cache": round(sum(c["needle_in_cache"] for c in cells) / n, 4),
        "mean_s_per_1k": round(sum(c["s_per_1k"] for c in cells) / n, 3),
    }


def load_previous(path: Path, config: dict[str, Any], max_new_tokens: int) -> list[dict[str, Any]]:
    """Cells of an earlier run into the same folder, if it used the same settings."""
    if not path.exists():
        return []
    old = read_json(path)
    if not isinstance(old, dict) or old.get("benchmark") != "niah":
        raise InputError(f"{path} is not an NIH results file; choose another --out")
    if old.get("config") != config or old.get("max_new_tokens") != max_new_tokens:
        raise InputError(
            f"{path} holds cells of another configuration (model, layer or options); "
            "choose another --out to keep both"
        )
    return list(old.get("cells", []))


def run_grid(
    engine: Any,
    lengths: Sequence[int],
    depths: Sequence[int],
    out: str | Path,
    max_new_tokens: int = 30,
    show_progress: bool = True,
    plot: bool = True,
) -> dict[str, Any]:
    """Run every missing cell, writing ``out/results.json`` after each, then the heatmap."""
    from tqdm import tqdm

    folder = Path(out)
    path = folder / RESULTS
    config = engine_config(engine)
    cells = load_previous(path, config, max_new_tokens)
    done = {(c["length"], c["depth"]) for c in cells}
    todo = [(n, d) for n in lengths for d in depths if (n, d) not in done]

    def save() -> dict[str, Any]:
        cells.sort(key=lambda c: (c["length"], c["depth"]))
        data = {
            "benchmark": "niah",
            "config": config,
            "max_new_tokens": max_new_tokens,
            "needle": haystack.NEEDLE,
            "question": haystack.QUESTION,
            **summarize(cells),
            "cells": cells,
        }
        write_json(path, data)
        return data

    bar = tqdm(todo, unit="cell", disable=not show_progress, file=sys.stderr, desc="NIH")
    for length, depth in bar:
        bar.set_description(f"NIH {length} tokens, depth {depth}%")
        cells.append(run_cell(engine, length, depth, max_new_tokens, bar))
        save()
    bar.close()
    data = save()
    if plot and cells:
        from .heatmap import heatmap

        heatmap(data, folder / HEATMAP)
    return data
