"""``SelfAttentionRetriever``: the sentences the model's attention keeps, as Documents."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from infiniretri_core import InfiniRetri, InputError
from infiniretri_core.ranking import Order, top
from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, field_validator

from .._engine import shared_engine
from .._threads import to_thread
from ._documents import evidence_documents
from ._events import async_progress_reporter, progress_reporter


class SelfAttentionRetriever(BaseRetriever):
    """Retrieval with no embeddings and no index: the local model reads every document for
    each query, chunk by chunk, and keeps the sentences its own attention selects.

    ``documents`` is a list of Documents (any iterable is read into one) or a
    ``BaseLoader``, loaded at every query so the retriever always reads the current files.
    All documents are read as one text, so a sentence kept early (a name, a bridge fact)
    stays in the cache while later documents are read.

    Each result is one kept sentence: its source's metadata plus ``source_index``,
    ``source_id``, ``start_index``/``end_index`` (character span in the source's
    ``page_content``), ``score`` (1.0 = the strongest sentence) and ``chunk``. ``k`` limits
    the results to the best-scored (``None``: every kept sentence); ``order`` returns them by
    score (the LangChain convention) or by position in the documents.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: InfiniRetri = Field(default_factory=shared_engine, exclude=True)
    documents: list[Document] | BaseLoader
    k: int | None = None
    order: Order = "score"

    @field_validator("documents", mode="before")
    @classmethod
    def _materialize(cls, value: Any) -> Any:
        if isinstance(value, BaseLoader | str | bytes) or not isinstance(value, Iterable):
            return value
        return list(value)

    @field_validator("k")
    @classmethod
    def _check_k(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError(f"k must be >= 0, got {value}")
        return value

    @classmethod
    def from_texts(
        cls,
        texts: Iterable[str],
        metadatas: Iterable[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> SelfAttentionRetriever:
        texts = list(texts)
        metas = list(metadatas) if metadatas is not None else [{} for _ in texts]
        docs = [Document(page_content=t, metadata=m) for t, m in zip(texts, metas, strict=True)]
        return cls(documents=docs, **kwargs)

    def _sources(self) -> list[Document]:
        docs = self.documents.load() if isinstance(self.documents, BaseLoader) else self.documents
        if not docs:
            raise InputError("the retriever has no documents to read")
        return list(docs)

    def _results(self, sources: Sequence[Document], evidence: Any, k: int | None) -> list[Document]:
        return evidence_documents(top(evidence, self.k if k is None else k, self.order), sources)

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
    ) -> list[Document]:
        sources = self._sources()
        selection = self.engine.select(
            [d.page_content for d in sources], query, progress_reporter(run_manager.get_child())
        )
        return self._results(sources, selection.evidence, k)

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
    ) -> list[Document]:
        sources = await to_thread(self._sources)
        progress = async_progress_reporter(run_manager.get_child())
        selection = await to_thread(
            lambda: self.engine.select([d.page_content for d in sources], query, progress)
        )
        return self._results(sources, selection.evidence, k)
