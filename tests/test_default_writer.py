"""The default writer (``writer="auto"``): the embedded reader's answers are written by
Qwen2.5-Coder-1.5B from its 400 best tokens, loaded on the first answer only; any other reader
writes its own; a missing default is a warning, never a failure."""

from __future__ import annotations

import warnings

import pytest
from infiniretri_core import InfiniRetri, haystack, local_writer, packaged
from infiniretri_core.bench.common import engine_config
from infiniretri_core.config import InfiniRetriConfig
from infiniretri_core.errors import ModelError
from infiniretri_core.local_writer import (
    DEFAULT_WRITER,
    DEFAULT_WRITER_BUDGET,
    PendingWriter,
    choose_writer,
)
from infiniretri_core.models import EMBEDDED_NAME


def pending(name: str) -> PendingWriter:
    return PendingWriter(name, {"dtype": "auto", "device": "cpu"}, lambda: pytest.fail("loaded"))


def choose(model: object, writer: object = "auto", **kw: object):  # type: ignore[no-untyped-def]
    config = InfiniRetriConfig().replace(**kw)
    return choose_writer(model, writer, config, "answer_max_tokens" in kw, None, pending)


def test_auto_names_the_default_for_the_embedded_reader_only() -> None:
    writer, config = choose(None)
    assert isinstance(writer, PendingWriter) and writer.name == DEFAULT_WRITER
    assert not writer.loaded
    assert config.answer_max_tokens == DEFAULT_WRITER_BUDGET
    assert choose(None, answer_max_tokens=64)[1].answer_max_tokens == 64
    assert choose(None, answer_max_tokens=None)[1].answer_max_tokens is None  # set by hand
    assert choose("some/other-model") == (None, InfiniRetriConfig())
    assert isinstance(choose(EMBEDDED_NAME)[0], PendingWriter)  # the embedded one, by name
    assert isinstance(choose(" smollm2-135m-instruct ")[0], PendingWriter)
    assert choose(None, writer=None) == (None, InfiniRetriConfig())
    assert choose(None, writer="x")[0] == "x"
    config = InfiniRetriConfig()
    same = choose_writer(None, "auto", config, False, DEFAULT_WRITER, pending)[0]
    assert same == DEFAULT_WRITER  # the ranker's model: the engine hands over the ranker


def test_a_missing_default_writer_warns_and_the_reader_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(entry: packaged.PackagedGGUF) -> list:  # type: ignore[type-arg]
        raise ModelError(f"{entry.name} is not installed")

    monkeypatch.setattr(packaged, "parts", missing)
    with pytest.warns(UserWarning, match="writer=None"):
        assert choose(None) == (None, InfiniRetriConfig())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert choose(None, writer=None)[0] is None  # chosen: no warning
    assert local_writer.default_writer("some/model") is None


def test_reading_never_loads_the_writer_and_workers_keep_it_pending(
    default_engine: InfiniRetri,
) -> None:
    pending_writer = default_engine.options().writer
    assert isinstance(pending_writer, PendingWriter)
    assert default_engine.config.answer_max_tokens == DEFAULT_WRITER_BUDGET
    data = default_engine.options().portable()
    assert data["writer"]["pending"] == DEFAULT_WRITER
    worker = InfiniRetri.from_portable(data)
    assert isinstance(worker.options().writer, PendingWriter)
    assert worker.select("Ada lives in Oslo. Bo lives in Rome.", "Where is Bo?").evidence
    assert engine_config(worker)["writer"] == DEFAULT_WRITER  # results name it, unloaded
    assert not worker.options().writer.loaded


def test_the_default_writer_answers_a_needle_from_the_budget(
    default_engine: InfiniRetri,
) -> None:
    document = haystack.build(default_engine.tokenizer, 3000, 0.5)
    answer = default_engine.answer(document, haystack.QUESTION, max_new_tokens=48)
    assert haystack.answers_needle(answer.text), answer.text
    writer = default_engine.writer
    assert writer is not None and writer.model is not default_engine.model
    assert "qwen2" in writer.model.config.model_type
    read = sum(len(default_engine.tokenizer.encode(e.text)) for e in answer.writer_evidence)
    assert answer.writer_tokens > 0 and read <= DEFAULT_WRITER_BUDGET + len(answer.writer_evidence)
    assert any("Dolores Park" in e.text for e in answer.writer_evidence)


def test_a_writer_an_adapter_names_is_the_default_writers_copy(
    default_engine: InfiniRetri,
) -> None:
    """One copy of the 1.5B per process: the default engine's pending writer and an adapter
    given ``writer="qwen2.5-coder-1.5b"`` (``tailored``) load the same engine (3 GB once)."""
    from infiniretri_integrations._engine import tailored

    named = tailored(default_engine, writer=DEFAULT_WRITER).options().writer
    assert isinstance(named, InfiniRetri) and named is default_engine.writer
