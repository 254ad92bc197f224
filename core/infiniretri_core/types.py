"""What the engine returns: evidence with provenance, a selection, an answer, progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

PART_SEPARATOR = "\n\n"
"""Joins the parts of a document (a paragraph break, which the model reads as one), and
the evidence of different parts for a writer."""


@dataclass(frozen=True, slots=True)
class Sentence:
    """A retrieval unit: ``document[start:end]``. Sentences tile the document."""

    start: int
    end: int


@dataclass(frozen=True)
class Evidence:
    """A kept sentence; ``text == document[start:end]`` (surrounding whitespace trimmed).

    For a document given in parts, ``text == parts[source][start:end]``.
    """

    text: str
    start: int
    end: int
    score: float
    """Peak phrase score of the sentence in the last step, relative to the best one (1.0)."""
    chunk: int
    """Index of the chunk in which the sentence was read."""
    sentence: int
    """Index of the sentence in the document's segmentation."""
    source: int = 0
    """Index of the part the sentence comes from (0 for a single string)."""


def join_evidence(evidence: Sequence[Evidence]) -> str:
    """Evidence as one text, in the order given: sentences of one part joined by a space,
    of different parts by a paragraph break."""
    pieces: list[str] = []
    for i, e in enumerate(evidence):
        if i:
            pieces.append(PART_SEPARATOR if e.source != evidence[i - 1].source else " ")
        pieces.append(e.text)
    return "".join(pieces)


@dataclass(frozen=True)
class Progress:
    """Reported after every chunk; ``chunk`` counts from 1."""

    chunk: int
    num_chunks: int
    tokens_read: int
    tokens_total: int
    tokens_kept: int


@dataclass(frozen=True)
class Selection:
    """Retrieval only: what the model's attention kept after the last chunk."""

    evidence: list[Evidence]
    tokens_read: int
    """Document tokens read (all of them: the loop never skips a chunk)."""
    tokens_kept: int
    """Tokens in the final sentence cache."""
    num_chunks: int
    layer: int
    tokens_processed: int = 0
    """Tokens that went through the model while reading (cache re-reads included)."""
    seconds: float = 0.0
    peak_rss_bytes: int | None = None
    """The process's peak resident set size while reading (sampled; ``None`` if unknown)."""
    start_rss_bytes: int | None = None
    """The resident set size when reading began: ``peak - start`` is what reading added."""
    document: str | Sequence[str] | None = field(default=None, compare=False, repr=False)
    """What was read (the caller's str, or its parts as a tuple; a reference, not a copy), for
    :meth:`to_html` and Jupyter; not part of equality, ``repr`` or :meth:`as_dict`."""
    question: str | None = field(default=None, compare=False, repr=False)
    """The question it was read for (same use; not part of equality, ``repr`` or JSON)."""

    @property
    def context(self) -> str:
        """The evidence as one text, in document order, as a writer would read it.

        Sentences of one part are joined by a space, parts by a paragraph break.
        """
        return join_evidence(self.evidence)

    def as_dict(self) -> dict[str, Any]:
        """The evidence and reading figures as plain data (JSON output, LLM metadata)."""
        return {
            "evidence": [asdict(e) for e in self.evidence],
            "tokens_read": self.tokens_read,
            "tokens_kept": self.tokens_kept,
            "layer": self.layer,
            "seconds": round(self.seconds, 3),
            "peak_rss_bytes": self.peak_rss_bytes,
        }

    def to_html(
        self, document: str | Sequence[str] | None = None, question: str | None = None
    ) -> str:
        """A self-contained page: the evidence highlighted in ``document`` (the str or parts
        that were read; by default :attr:`document`); see ``evidence_html.render_result``."""
        return _html()(self, document, question, notebook=False)

    def _repr_html_(self) -> str:
        return _html()(self, None, None, notebook=True)


@dataclass(frozen=True)
class Answer:
    """The answer and the sentences it was written from."""

    text: str
    evidence: list[Evidence]
    selection: Selection
    writer_tokens: int = 0
    """Context tokens given to the writer (after ``answer_max_tokens``)."""
    writer_evidence: list[Evidence] = field(default_factory=list)
    """The evidence the writer actually saw (a subset of ``evidence`` under a budget)."""

    def to_html(
        self, document: str | Sequence[str] | None = None, question: str | None = None
    ) -> str:
        """A self-contained page: the answer, and the evidence highlighted in ``document``
        (by default the selection's :attr:`Selection.document`)."""
        return _html()(self, document, question, notebook=False)

    def _repr_html_(self) -> str:
        return _html()(self, None, None, notebook=True)


class HtmlRenderer(Protocol):
    """Writes the page of a Selection or an Answer (``evidence_html.render_result``)."""

    def __call__(
        self,
        result: Selection | Answer,
        document: str | Sequence[str] | None,
        question: str | None,
        *,
        notebook: bool,
    ) -> str: ...


_renderer: HtmlRenderer | None = None


def set_html_renderer(renderer: HtmlRenderer) -> None:
    """The hook behind ``to_html`` and ``_repr_html_``: ``evidence_html`` fills it when
    imported (the package's ``__init__`` imports it), so a data type imports no HTML."""
    global _renderer
    _renderer = renderer


def _html() -> HtmlRenderer:
    if _renderer is None:
        raise RuntimeError("no HTML renderer: import infiniretri_core.evidence_html first")
    return _renderer
