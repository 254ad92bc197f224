"""``SelfAttentionRetriever``: nodes in, the sentences the model's attention keeps out."""

from __future__ import annotations

from collections.abc import Sequence

from infiniretri_core import InfiniRetri, InputError
from infiniretri_core.ranking import Order, top
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle

from .._engine import shared_engine
from .._threads import to_thread
from ._nodes import evidence_nodes, node_texts
from .events import progress_events


class SelfAttentionRetriever(BaseRetriever):
    """Retrieval with no embedding model and no index: for each query the local model reads
    all ``nodes`` as one text, chunk by chunk, and returns the sentences it kept.

    Each result is a ``TextNode`` of one sentence, related to its source node, with
    ``start_char_idx``/``end_char_idx`` into the source's text, the source's metadata, and
    a score (1.0 = strongest). ``similarity_top_k`` keeps the best-scored (``None``: all
    kept sentences); ``order`` returns them by score or in document order.
    """

    def __init__(
        self,
        nodes: Sequence[BaseNode],
        engine: InfiniRetri | None = None,
        similarity_top_k: int | None = None,
        order: Order = "score",
        callback_manager: CallbackManager | None = None,
    ) -> None:
        if similarity_top_k is not None and similarity_top_k < 0:
            raise InputError(f"similarity_top_k must be >= 0, got {similarity_top_k}")
        self._nodes = list(nodes)
        if not self._nodes:
            raise InputError("the retriever needs at least one node to read")
        self._engine = engine or shared_engine()
        self._top_k = similarity_top_k
        self._order = order
        super().__init__(callback_manager=callback_manager)

    @property
    def similarity_top_k(self) -> int | None:
        return self._top_k

    @similarity_top_k.setter
    def similarity_top_k(self, value: int | None) -> None:
        self._top_k = value

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        selection = self._engine.select(
            node_texts(self._nodes), query_bundle.query_str, progress_events()
        )
        return evidence_nodes(top(selection.evidence, self._top_k, self._order), self._nodes)

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await to_thread(lambda: self._retrieve(query_bundle))
