"""LangChain Documents in, evidence Documents out, each still pointing at its source."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from infiniretri_core import Evidence, InputError
from langchain_core.documents import Document


def as_sources(context: object) -> list[Document]:
    """A str, a Document, or a sequence of them, as the Documents to read (in order)."""
    if isinstance(context, str | Document):
        context = [context]
    if not isinstance(context, Sequence) or isinstance(context, bytes):
        raise InputError(
            "context must be a str, a Document or a list of Documents, "
            f"got {type(context).__name__}"
        )
    sources = []
    for i, item in enumerate(context):
        if isinstance(item, str):
            sources.append(Document(page_content=item))
        elif isinstance(item, Document):
            sources.append(item)
        else:
            raise InputError(f"context item {i} must be a str or a Document, got {type(item)}")
    return sources


def evidence_documents(evidence: Iterable[Evidence], sources: Sequence[Document]) -> list[Document]:
    """One Document per kept sentence, carrying its source's metadata and where it came from.

    ``start_index`` / ``end_index`` are character offsets into the source's ``page_content``
    (``start_index`` as LangChain's text splitters name it).
    """
    out = []
    for e in evidence:
        src = sources[e.source]
        metadata = {
            **src.metadata,
            "source_index": e.source,
            "start_index": e.start,
            "end_index": e.end,
            "score": e.score,
            "chunk": e.chunk,
        }
        if src.id is not None:
            metadata["source_id"] = src.id
        doc_id = f"{src.id}#{e.start}-{e.end}" if src.id is not None else None
        out.append(Document(page_content=e.text, metadata=metadata, id=doc_id))
    return out
