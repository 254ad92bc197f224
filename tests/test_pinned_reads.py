"""The engine's reads, pinned: kept sentences and scores for the paper's scoring and every
option (fp32, within 1e-4), as they were before the reading pipeline was rebuilt
(``tests/data/make_pinned_reads.py`` wrote the reference; never regenerate it to pass)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from infiniretri_core import InfiniRetri

_spec = importlib.util.spec_from_file_location(
    "make_pinned_reads", Path(__file__).parent / "data" / "make_pinned_reads.py"
)
assert _spec is not None and _spec.loader is not None
pins = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pins)
MANY, OPTIONS, PINNED, WRITER = pins.MANY, pins.OPTIONS, pins.PINNED, pins.WRITER
engine_for, kept, writer_context = pins.engine_for, pins.kept, pins.writer_context

REF = json.loads(PINNED.read_text())
DOCS: dict[str, dict[str, Any]] = REF["documents"]
Kept = list[list[float]]


def _same(got: list[list[float]], want: list[list[float]]) -> None:
    assert [int(s) for s, _ in got] == [int(s) for s, _ in want], "kept sentences differ"
    for (_, a), (_, b) in zip(got, want, strict=True):
        assert abs(a - b) <= 1e-4, f"score {a} != {b}"


@pytest.fixture(scope="module")
def engines(fp32_engine: InfiniRetri) -> dict[str, InfiniRetri]:
    return {name: engine_for(fp32_engine, options) for name, options in OPTIONS.items()}


@pytest.fixture(scope="module")
def selected() -> Callable[[InfiniRetri, str], Kept]:
    """``select``'s kept sentences for a document's first question, read once per engine in
    this module: engines of equal ``options()`` (all an engine is built from, its layer and
    link head resolved) read alike, so the paper preset checks the reads of ``paper``."""
    done: dict[tuple[Any, str], Kept] = {}

    def read(engine: InfiniRetri, name: str) -> Kept:
        key = (engine.options(), name)
        if key not in done:
            doc = DOCS[name]
            done[key] = kept(engine.select(doc["text"], doc["questions"][0]))
        return done[key]

    return read


@pytest.mark.parametrize("option", list(OPTIONS))
def test_select_is_as_pinned_and_select_many_of_one_is_select(
    engines: dict[str, InfiniRetri], selected: Callable[[InfiniRetri, str], Kept], option: str
) -> None:
    engine = engines[option]
    for name in DOCS:
        _same(selected(engine, name), REF["select"][option][name])
    doc = DOCS["two_hop"]
    (alone,) = engine.select_many(doc["text"], doc["questions"][:1])
    _same(kept(alone), REF["select"][option]["two_hop"])


@pytest.mark.parametrize("option", list(MANY))
def test_select_many_is_as_pinned(fp32_engine: InfiniRetri, option: str) -> None:
    engine = engine_for(fp32_engine, MANY[option])
    for name, doc in DOCS.items():
        got = engine.select_many(doc["text"], doc["questions"])
        for g, want in zip(got, REF["many"][option][name], strict=True):
            _same(kept(g), want)


@pytest.mark.parametrize("order", list(WRITER))
def test_writer_context_is_as_pinned(fp32_engine: InfiniRetri, order: str) -> None:
    engine = engine_for(fp32_engine, WRITER[order])
    doc = DOCS["two_hop"]
    assert writer_context(engine, doc["text"], doc["questions"][0]) == REF["writer"][order]


def test_the_paper_preset_reads_as_the_pinned_paper_scoring(
    fp32_engine: InfiniRetri, selected: Callable[[InfiniRetri, str], Kept]
) -> None:
    engine = engine_for(fp32_engine, {"scoring": "paper"})
    assert engine.config.scoring == "paper"
    for name in DOCS:
        _same(selected(engine, name), REF["select"]["paper"][name])
