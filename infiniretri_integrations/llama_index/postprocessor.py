"""``InfiniRetriNodePostprocessor``: retrieved nodes shrunk to their attended sentences."""

from __future__ import annotations

from infiniretri_core import InfiniRetri, InputError
from infiniretri_core.ranking import Order, top
from llama_index.core.bridge.pydantic import Field
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle

from .._engine import shared_engine
from .._threads import to_thread
from ._nodes import evidence_nodes, node_texts
from .events import progress_events


class InfiniRetriNodePostprocessor(BaseNodePostprocessor):
    """Read the retrieved nodes as one text and keep the sentences attention selects.

    Every kept sentence becomes its own node with its source node's metadata (and excluded
    keys), a SOURCE relationship to it, character offsets into it and its own score, so each
    piece can still be cited. ``top_n`` keeps only the best-scored; by default they come
    back in document order.
    """

    engine: InfiniRetri = Field(default_factory=shared_engine, exclude=True)
    top_n: int | None = Field(default=None, ge=0)
    order: Order = "document"

    @classmethod
    def class_name(cls) -> str:
        return "InfiniRetriNodePostprocessor"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise InputError("InfiniRetriNodePostprocessor needs the query")
        sources = [n.node for n in nodes]
        texts = node_texts(sources)
        if not any(t.strip() for t in texts):
            return []
        selection = self.engine.select(texts, query_bundle.query_str, progress_events())
        return evidence_nodes(top(selection.evidence, self.top_n, self.order), sources)

    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        return await to_thread(lambda: self._postprocess_nodes(nodes, query_bundle))
