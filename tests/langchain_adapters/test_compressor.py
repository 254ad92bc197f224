"""InfiniRetriCompressor under ContextualCompressionRetriever: pieces keep their source."""

from __future__ import annotations

from pathlib import Path

from infiniretri_core import InfiniRetri, haystack
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.vectorstores import InMemoryVectorStore

from infiniretri_integrations.langchain import InfiniRetriCompressor

from .conftest import PagedTextLoader, Recorder, assert_spans, needle_kept


def _pipeline(
    engine: InfiniRetri, needle_file: Path
) -> tuple[ContextualCompressionRetriever, list]:  # type: ignore[type-arg]
    pages = PagedTextLoader(needle_file, page_chars=3000).load()
    store = InMemoryVectorStore.from_documents(pages, DeterministicFakeEmbedding(size=32))
    base = store.as_retriever(search_kwargs={"k": len(pages)})
    compressor = InfiniRetriCompressor(engine=engine)
    return ContextualCompressionRetriever(base_compressor=compressor, base_retriever=base), pages


async def test_compression_keeps_the_needle_and_each_pieces_metadata(
    engine: InfiniRetri, needle_file: Path
) -> None:
    retriever, pages = _pipeline(engine, needle_file)
    recorder = Recorder()
    kept = retriever.invoke(haystack.QUESTION, {"callbacks": [recorder]})
    assert needle_kept(kept)
    retrieved = retriever.base_retriever.invoke(haystack.QUESTION)
    assert_spans(kept, retrieved)  # offsets into the retrieved page each piece came from
    assert {d.metadata["page"] for d in kept} <= {p.metadata["page"] for p in pages}
    assert sum(len(d.page_content) for d in kept) < sum(len(p.page_content) for p in pages) / 3
    assert len(recorder.progress) >= 4  # reading progress reached the outer retriever's handlers
    assert await retriever.ainvoke(haystack.QUESTION) == kept


def test_nothing_to_compress_gives_nothing(engine: InfiniRetri) -> None:
    assert InfiniRetriCompressor(engine=engine).compress_documents([], "What?") == []
