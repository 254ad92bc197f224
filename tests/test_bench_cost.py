"""The cost benchmarks: ``bench floor`` (our read vs bare forwards) and ``bench scale``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from infiniretri_core import InfiniRetri, cli, haystack, probe
from infiniretri_core.bench import floor, scale
from infiniretri_core.families import decoder_layers


def test_floor_replays_exactly_what_select_fed_the_model(
    engine: InfiniRetri, tmp_path: Path
) -> None:
    doc = haystack.build(engine.tokenizer, 2500, 0.5)
    original = probe.attention_rows
    with floor.recording_inputs() as steps:
        selection = engine.select(doc, haystack.QUESTION)
    assert probe.attention_rows is original
    assert len(steps) == selection.num_chunks >= 2
    assert sum(int(s.shape[1]) for s in steps) == selection.tokens_processed

    argv = ["bench", "floor", "--length", "2500", "--repeats", "1", "--out", str(tmp_path)]
    assert cli.main(argv, engine=engine) == 0
    data = json.loads((tmp_path / floor.RESULTS).read_text(encoding="utf-8"))
    assert data["steps"] == selection.num_chunks
    assert data["tokens_through_model"] == selection.tokens_processed
    assert data["tokens_chunks_alone"] < data["tokens_through_model"]  # the cache is re-read
    assert set(data["rows"]) == {"select", "floor_same_inputs", "chunks_alone"}
    assert all(r["seconds"] > 0 and r["cpu_seconds"] > 0 for r in data["rows"].values())
    assert data["ratio_to_floor"] > 0


def test_bare_forward_stops_after_the_scoring_layer(engine: InfiniRetri) -> None:
    layers = decoder_layers(engine.model)
    calls = {"at": 0, "above": 0}

    def count(key: str) -> Any:
        def hook(*_: Any) -> None:
            calls[key] += 1

        return hook

    h1 = layers[engine.layer].self_attn.register_forward_hook(count("at"))
    h2 = layers[engine.layer + 1].register_forward_hook(count("above"))
    try:
        floor.bare_forward(engine.model, torch.tensor([[1, 2, 3, 4]]), engine.layer)
    finally:
        h1.remove()
        h2.remove()
    assert calls == {"at": 1, "above": 0}


def test_scale_rows_ratios_and_resume(
    engine: InfiniRetri, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["bench", "scale", "--lengths", "1200,2400", "--no-isolate", "--no-progress"]
    argv += ["--max-new-tokens", "8", "--out", str(tmp_path)]
    assert cli.main(argv, engine=engine) == 0
    data = json.loads((tmp_path / scale.RESULTS).read_text(encoding="utf-8"))
    assert [r["length"] for r in data["rows"]] == [1200, 2400]
    for r in data["rows"]:
        assert r["needle_in_cache"] and r["cpu_seconds"] > 0 and r["peak_rss_mb"] > 0
        assert r["tokens_read"] >= r["length"] * 0.95
    ratios = data["ratios"]
    assert ratios["base_length"] == 1200 and ratios["1200"] == {"peak_rss": 1.0, "s_per_1k": 1.0}
    assert ratios["2400"]["peak_rss"] > 0

    def no_reading(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a finished length was read again")

    monkeypatch.setattr(engine, "answer", no_reading)
    assert cli.main(argv, engine=engine) == 0


def test_scale_ratios_against_the_smallest_length() -> None:
    rows = [
        {"length": 1_000_000, "peak_rss_mb": 1100.0, "s_per_1k": 3.0},
        {"length": 32_000, "peak_rss_mb": 1000.0, "s_per_1k": 2.0},
    ]
    assert scale.ratios(rows) == {
        "base_length": 32_000,
        "1000000": {"peak_rss": 1.1, "s_per_1k": 1.5},
        "32000": {"peak_rss": 1.0, "s_per_1k": 1.0},
    }
    assert scale.ratios([]) == {}
