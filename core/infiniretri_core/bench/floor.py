"""Our reading against its floor: bare forward passes of the same inputs up to the layer.

The method must run the model over ``[cache][chunk][question]`` up to the scoring layer at
every step; nothing can read faster. This times ``engine.select`` (tokenizing, segmenting,
scoring, cache upkeep included) against plain SDPA forwards of exactly the step inputs that
select fed the model, stopped after the scoring layer's attention, in the same process. It
also times the document's chunks alone (no cache) to show what carrying the cache costs.
Runs alternate (ours, floor, ours, floor, ...) and the best of each is kept, so that load
from other processes hits both alike; CPU time is reported next to wall time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from .. import haystack, probe
from ..chunking import pack
from ..families import decoder_layers
from .common import engine_config, write_json

RESULTS = "floor.json"


class _Stop(Exception):
    """Raised after the scoring layer's attention: the floor reads no further either."""


@contextlib.contextmanager
def recording_inputs() -> Iterator[list[torch.Tensor]]:
    """Every ``input_ids`` the engine sends to the probe while the block runs."""
    seen: list[torch.Tensor] = []
    original = probe.attention_rows

    def wrapper(model: Any, input_ids: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        seen.append(input_ids)
        return original(model, input_ids, *args, **kwargs)

    probe.attention_rows = wrapper
    try:
        yield seen
    finally:
        probe.attention_rows = original


def bare_forward(model: torch.nn.Module, input_ids: torch.Tensor, layer: int) -> None:
    """SDPA forward of ``input_ids`` up to and including ``layer``'s attention; no capture."""
    block = decoder_layers(model)[layer]
    target = getattr(block, "self_attn", block)

    def stop(*_: Any) -> None:
        raise _Stop

    handle = target.register_forward_hook(stop)
    base = getattr(model, "base_model", model)
    try:
        with torch.inference_mode(), contextlib.suppress(_Stop):
            base(input_ids=input_ids, use_cache=False)
    finally:
        handle.remove()


def _timed(fn: Any) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def run(engine: Any, length: int, out: str | Path, repeats: int = 2) -> dict[str, Any]:
    """Best-of-``repeats`` wall and CPU seconds of select, its floor and chunks alone."""
    doc = haystack.build(engine.tokenizer, length, 0.5)
    question = haystack.QUESTION
    with recording_inputs() as steps:
        selection = engine.select(doc, question)
    parts = engine.question_parts(question)
    prepared = engine.prepare(doc)
    chunks = pack(prepared.lengths.tolist(), engine.config.chunk_size)
    alone = [parts.build(prepared.tokens(list(c)))[0] for c in chunks]
    layer = engine.layer

    def forwards(inputs: list[torch.Tensor]) -> Any:
        def go() -> None:
            for ids in inputs:
                with engine.lock:
                    bare_forward(engine.model, ids, layer)

        return go

    best: dict[str, list[float]] = {}
    for _ in range(repeats):
        for name, fn in (
            ("select", lambda: engine.select(doc, question)),
            ("floor_same_inputs", forwards(steps)),
            ("chunks_alone", forwards(alone)),
        ):
            wall, cpu = _timed(fn)
            old = best.get(name)
            best[name] = [min(old[0], wall), min(old[1], cpu)] if old else [wall, cpu]
    tokens = selection.tokens_read
    rows = {
        name: {
            "seconds": round(w, 2),
            "cpu_seconds": round(c, 2),
            "s_per_1k": round(w / tokens * 1000, 3),
        }
        for name, (w, c) in best.items()
    }
    data = {
        "benchmark": "floor",
        "config": engine_config(engine),
        "length": length,
        "tokens_read": tokens,
        "steps": len(steps),
        "tokens_through_model": sum(int(s.shape[1]) for s in steps),
        "tokens_chunks_alone": sum(int(a.shape[1]) for a in alone),
        "rows": rows,
        "ratio_to_floor": round(best["select"][0] / best["floor_same_inputs"][0], 3),
        "ratio_to_floor_cpu": round(best["select"][1] / best["floor_same_inputs"][1], 3),
        "ratio_to_chunks_alone": round(best["select"][0] / best["chunks_alone"][0], 3),
    }
    write_json(Path(out) / RESULTS, data)
    return data
