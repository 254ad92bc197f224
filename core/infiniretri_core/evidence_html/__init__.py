"""A self-contained HTML page showing what the model read: the question, the answer, the
evidence list, and the document with every kept sentence highlighted by score.

No script and no network resource: inline CSS only, so the page works from a file offline.
All document and user text is escaped. The CSS is scoped to ``.irp``, so a fragment
(``standalone=False``) can sit inside a notebook without restyling it. The pieces:
``page`` (the page and its questions), ``tables`` (the evidence tables) and ``body`` (the
document, folded and highlighted).

Importing this package registers :func:`render_result` with ``types``: ``Selection.to_html``,
``Answer.to_html`` and their ``_repr_html_`` call it, so the data types import no HTML.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InputError
from ..types import Answer, Selection, set_html_renderer
from .body import CONTEXT_CHARS, MAX_CHARS, MIN_FOLD
from .page import render, render_many
from .tables import TOP_ROWS, evidence_list_html

__all__ = [
    "CONTEXT_CHARS",
    "MAX_CHARS",
    "MIN_FOLD",
    "REPR_MAX_CHARS",
    "TOP_ROWS",
    "evidence_list_html",
    "render",
    "render_many",
    "render_result",
]

REPR_MAX_CHARS = 20_000
"""``max_chars`` of the fragment a notebook shows (``_repr_html_``): notebooks store outputs."""


def render_result(
    result: Selection | Answer,
    document: str | Sequence[str] | None = None,
    question: str | None = None,
    *,
    notebook: bool = False,
) -> str:
    """The page of a Selection or an Answer: the evidence highlighted in ``document`` (by
    default the one the selection holds), under ``question`` (by default its own).

    ``notebook=True`` gives what Jupyter shows: the page as a fragment (scoped style, anchors
    of its own), or the evidence list alone when the document is unknown."""
    selection = result.selection if isinstance(result, Answer) else result
    answer = result.text if isinstance(result, Answer) else None
    if notebook:
        return _notebook(result, selection, answer)
    if document is None:
        document = selection.document
    if document is None:
        raise InputError("this Selection does not hold its document: pass to_html(document)")
    return render(document, result.evidence, question or selection.question, answer)


def _notebook(result: Selection | Answer, selection: Selection, answer: str | None) -> str:
    if selection.document is None:
        return evidence_list_html(result.evidence, selection.question, answer)
    return render(
        selection.document,
        result.evidence,
        selection.question,
        answer,
        max_chars=REPR_MAX_CHARS,
        standalone=False,
        id_prefix=f"ir{id(result):x}-",  # two pages in one notebook keep their anchors apart
    )


set_html_renderer(render_result)
