"""The evidence page for what the framework adapters return, grouped by source.

``langchain_page`` takes the evidence ``Document``s of the LangChain retriever / QA runnable
(metadata ``source_index``, ``start_index``, ``end_index``, ``score``, ``chunk``);
``llama_index_page`` the ``source_nodes`` of the LlamaIndex synthesizer (``NodeWithScore``
with ``start_char_idx``/``end_char_idx`` and a SOURCE relationship). Give ``sources`` (the
Documents / nodes, or their texts, that were read) to see the evidence in its full context;
without them each source shows its evidence alone. Neither framework is imported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infiniretri_core.evidence_html import render
from infiniretri_core.types import Evidence

_NAME_KEYS = ("source", "file_name", "file_path", "title", "url")


def _name(metadata: dict[str, Any], fallback: str) -> str:
    for key in _NAME_KEYS:
        if metadata.get(key):
            return str(metadata[key])
    return fallback


def _text(source: Any) -> str:
    if isinstance(source, str):
        return source
    if hasattr(source, "page_content"):  # a LangChain Document
        return str(source.page_content)
    if hasattr(source, "get_content"):  # a LlamaIndex node
        from llama_index.core.schema import MetadataMode

        return str(source.get_content(metadata_mode=MetadataMode.NONE))
    raise TypeError(f"a source must be a str, a Document or a node, got {type(source)}")


def _page(
    found: list[tuple[Any, Evidence, dict[str, Any]]],
    sources: Sequence[Any] | None,
    question: str | None,
    answer: str | None,
) -> str:
    """``found``: (source key, evidence with offsets into that source, metadata)."""
    keys: list[Any] = []
    for key, _, _ in found:
        if key not in keys:
            keys.append(key)
    if sources is not None:
        parts = [_text(s) for s in sources]
        names = [
            _name(dict(getattr(s, "metadata", None) or {}), f"source {i}")
            for i, s in enumerate(sources)
        ]
        evidence = [
            Evidence(e.text, e.start, e.end, e.score, e.chunk, e.sentence, int(key))
            for key, e, _ in found
        ]
        return render(parts, evidence, question, answer, sources=names)
    # No sources: each source shows its own evidence, in order, one paragraph apart.
    parts, names, evidence = [], [], []
    for p, key in enumerate(keys):
        mine = sorted(((e, m) for k, e, m in found if k == key), key=lambda em: em[0].start)
        text = ""
        for e, _ in mine:
            text += "\n\n" if text else ""
            evidence.append(
                Evidence(e.text, len(text), len(text) + len(e.text), e.score, e.chunk, 0, p)
            )
            text += e.text
        parts.append(text)
        names.append(_name(mine[0][1], f"source {key}") + " (evidence only)")
    return render(parts, evidence, question, answer, sources=names)


def langchain_page(
    documents: Sequence[Any],
    sources: Sequence[Any] | None = None,
    question: str | None = None,
    answer: str | None = None,
) -> str:
    """The page for LangChain evidence ``Document``s; ``sources`` the Documents (or texts)
    that were read, in the order given to the retriever / runnable."""
    found = []
    for d in documents:
        m = dict(d.metadata)
        start = int(m.get("start_index", 0))
        text = str(d.page_content)
        end = int(m.get("end_index", start + len(text)))
        ev = Evidence(text, start, end, float(m.get("score", 1.0)), int(m.get("chunk", 0)), 0)
        found.append((int(m.get("source_index", 0)), ev, m))
    return _page(found, sources, question, answer)


def llama_index_page(
    source_nodes: Sequence[Any],
    sources: Sequence[Any] | None = None,
    question: str | None = None,
    answer: str | None = None,
) -> str:
    """The page for a LlamaIndex response's ``source_nodes``; ``sources`` the nodes that were
    read (matched to the evidence by the SOURCE relationship's node id)."""
    ids = [getattr(s, "node_id", None) for s in sources] if sources is not None else []
    found = []
    for nws in source_nodes:
        node = nws.node
        text = node.get_content(metadata_mode=_none_mode())
        start = node.start_char_idx or 0
        end = node.end_char_idx if node.end_char_idx is not None else start + len(text)
        src = node.source_node
        key: Any = src.node_id if src is not None else 0
        if sources is not None:
            key = ids.index(key) if key in ids else 0
        score = float(nws.score) if nws.score is not None else 1.0
        found.append((key, Evidence(text, start, end, score, 0, 0), dict(node.metadata)))
    return _page(found, sources, question, answer)


def _none_mode() -> Any:
    from llama_index.core.schema import MetadataMode

    return MetadataMode.NONE
