"""Nodes in, evidence nodes out: each kept sentence a TextNode related to its source node."""

from __future__ import annotations

from collections.abc import Sequence

from infiniretri_core import Evidence
from llama_index.core.schema import (
    BaseNode,
    MetadataMode,
    NodeRelationship,
    NodeWithScore,
    TextNode,
)


def node_texts(nodes: Sequence[BaseNode]) -> list[str]:
    """The nodes' own text (no metadata header), in order: the parts of one document."""
    return [n.get_content(metadata_mode=MetadataMode.NONE) for n in nodes]


def evidence_nodes(
    evidence: Sequence[Evidence], sources: Sequence[BaseNode]
) -> list[NodeWithScore]:
    """One ``NodeWithScore`` per kept sentence.

    The node's SOURCE relationship points at the node it was read from;
    ``start_char_idx``/``end_char_idx`` are offsets into that node's text; metadata (and
    which keys the LLM and embedder exclude) are the source's own, so each piece keeps its
    own citation.
    """
    out = []
    for e in evidence:
        src = sources[e.source]
        node = TextNode(
            text=e.text,
            metadata=dict(src.metadata),
            excluded_llm_metadata_keys=list(src.excluded_llm_metadata_keys),
            excluded_embed_metadata_keys=list(src.excluded_embed_metadata_keys),
            start_char_idx=e.start,
            end_char_idx=e.end,
            relationships={NodeRelationship.SOURCE: src.as_related_node_info()},
        )
        out.append(NodeWithScore(node=node, score=e.score))
    return out
