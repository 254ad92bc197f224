"""``InfiniRetriCompressor``: retrieved documents shrunk to the sentences attention keeps."""

from __future__ import annotations

from collections.abc import Sequence

from infiniretri_core import InfiniRetri
from infiniretri_core.ranking import Order, top
from langchain_core.callbacks import AsyncCallbackManager, CallbackManager, Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict, Field

from .._engine import shared_engine
from .._threads import to_thread
from ._documents import evidence_documents
from ._events import async_progress_reporter, progress_reporter


class InfiniRetriCompressor(BaseDocumentCompressor):
    """For ``ContextualCompressionRetriever``: read the retrieved documents as one text and
    keep the sentences the model's attention selects for the query.

    Every kept sentence is its own Document with its source's metadata (``source``, page,
    ids...) plus ``source_index``, ``start_index``/``end_index`` into the source's
    ``page_content``, ``score`` and ``chunk``, so citations survive compression. ``k``
    keeps only the best-scored sentences; by default they come back in document order.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: InfiniRetri = Field(default_factory=shared_engine, exclude=True)
    k: int | None = None
    order: Order = "document"

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        if not any(d.page_content.strip() for d in documents):
            return []
        progress = progress_reporter(CallbackManager.configure(callbacks))
        selection = self.engine.select([d.page_content for d in documents], query, progress)
        return evidence_documents(top(selection.evidence, self.k, self.order), documents)

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        if not any(d.page_content.strip() for d in documents):
            return []
        progress = async_progress_reporter(AsyncCallbackManager.configure(callbacks))
        parts = [d.page_content for d in documents]
        selection = await to_thread(lambda: self.engine.select(parts, query, progress))
        return evidence_documents(top(selection.evidence, self.k, self.order), documents)
