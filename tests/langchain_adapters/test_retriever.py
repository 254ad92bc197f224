"""SelfAttentionRetriever: documents or a loader in, attended sentences with provenance out."""

from __future__ import annotations

from pathlib import Path

import pytest
from infiniretri_core import InfiniRetri, haystack
from langchain_core.documents import Document
from pydantic import ValidationError

from infiniretri_integrations.langchain import SelfAttentionRetriever

from .conftest import SHORT_FACTS, PagedTextLoader, Recorder, assert_spans, needle_kept


def test_a_loader_is_read_at_query_time_and_spans_point_into_its_pages(
    engine: InfiniRetri, needle_file: Path
) -> None:
    loader = PagedTextLoader(needle_file, page_chars=3000)
    retriever = SelfAttentionRetriever(engine=engine, documents=loader, order="document")
    recorder = Recorder()
    docs = retriever.invoke(haystack.QUESTION, {"callbacks": [recorder]})
    assert needle_kept(docs)
    assert_spans(docs, loader.load())
    positions = [(d.metadata["source_index"], d.metadata["start_index"]) for d in docs]
    assert positions == sorted(positions)
    assert all(d.id and d.id.startswith(needle_file.name) for d in docs)
    assert [p["chunk"] for p in recorder.progress] == list(range(1, len(recorder.progress) + 1))
    assert len(recorder.progress) >= 4


def _retriever(engine: InfiniRetri, **kwargs: object) -> SelfAttentionRetriever:
    return SelfAttentionRetriever.from_texts(
        [t for t, _ in SHORT_FACTS],
        metadatas=[{"topic": i} for i in range(len(SHORT_FACTS))],
        engine=engine,
        **kwargs,
    )


def test_k_in_the_constructor_and_at_invoke_takes_the_best_scored(engine: InfiniRetri) -> None:
    question = SHORT_FACTS[1][1]
    every = _retriever(engine).invoke(question)
    scores = [d.metadata["score"] for d in every]
    assert scores == sorted(scores, reverse=True) and scores[0] == 1.0
    assert _retriever(engine, k=2).invoke(question) == every[:2]
    assert _retriever(engine, k=2).invoke(question, k=1) == every[:1]


async def test_async_gives_what_sync_gives(engine: InfiniRetri) -> None:
    retriever = _retriever(engine)
    question = SHORT_FACTS[2][1]
    recorder = Recorder()
    got = await retriever.ainvoke(question, {"callbacks": [recorder]}, k=3)
    assert got == retriever.invoke(question, k=3)
    assert len(recorder.progress) == 1


def test_any_iterable_of_documents_is_accepted(engine: InfiniRetri) -> None:
    docs = (Document(page_content=t) for t, _ in SHORT_FACTS)
    retriever = SelfAttentionRetriever(engine=engine, documents=docs, k=1)
    assert len(retriever.documents) == len(SHORT_FACTS)  # type: ignore[arg-type]
    assert len(retriever.invoke(SHORT_FACTS[0][1])) == 1


def test_bad_settings_are_rejected(engine: InfiniRetri) -> None:
    with pytest.raises(ValidationError):
        SelfAttentionRetriever(engine=engine, documents=[], k=-1)
    with pytest.raises(ValidationError):
        SelfAttentionRetriever(engine=engine, documents="not documents")
    with pytest.raises(ValueError, match="no documents"):
        SelfAttentionRetriever(engine=engine, documents=[]).invoke("What?")
