"""The page: title, each question with its answer and evidence table, the colour legend, and
the document; a whole HTML file, or a ``<div>`` fragment for a notebook."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .body import CONTEXT_CHARS, MAX_CHARS, Span, document_html
from .style import CSS, colour
from .tables import anchor, evidence_tables, shown_rows

if TYPE_CHECKING:
    from ..types import Evidence


def render(
    document: str | Sequence[str],
    evidence: Sequence[Evidence],
    question: str | None = None,
    answer: str | None = None,
    *,
    sources: Sequence[str] | None = None,
    title: str = "What the model read",
    max_chars: int = MAX_CHARS,
    context_chars: int = CONTEXT_CHARS,
    standalone: bool = True,
    id_prefix: str = "",
) -> str:
    """The page for one question: ``document`` a str or a sequence of parts (``Evidence.source``
    indexes them, offsets relative to the part); ``sources`` names the parts. With
    ``standalone=False``, a ``<div>`` with its own scoped style (for a notebook); ``id_prefix``
    keeps its anchors apart from another page's in the same notebook."""
    return render_many(
        document,
        [evidence],
        [question],
        answers=[answer],
        sources=sources,
        title=title,
        max_chars=max_chars,
        context_chars=context_chars,
        standalone=standalone,
        id_prefix=id_prefix,
    )


def render_many(
    document: str | Sequence[str],
    selections: Sequence[Sequence[Evidence] | object],
    questions: Sequence[str | None],
    *,
    answers: Sequence[str | None] | None = None,
    sources: Sequence[str] | None = None,
    title: str = "What the model read",
    max_chars: int = MAX_CHARS,
    context_chars: int = CONTEXT_CHARS,
    standalone: bool = True,
    id_prefix: str = "",
) -> str:
    """One page for several questions over one document, one colour per question.
    ``selections`` holds, per question, a list of Evidence or a Selection/Answer. A sentence
    kept for several questions shows every question's colour (nested marks)."""
    parts = [document] if isinstance(document, str) else list(document)
    names = _part_names(parts, sources)
    evs: list[list[Evidence]] = []
    for s in selections:
        evs.append(list(getattr(s, "evidence", s)))  # type: ignore[call-overload]
    if answers is None:
        answers = [getattr(s, "text", None) for s in selections]
    out = [f"<div class='irp'><style>{CSS}</style><h1>{html.escape(title)}</h1>"]
    spans: list[Span] = []
    top = shown_rows(len(evs))
    for q, (question, ev, ans) in enumerate(zip(questions, evs, answers, strict=False)):
        out.append(_question(q, question, ans))
        out.append(evidence_tables(ev, q, top, names, id_prefix))
        spans += [Span(e, q, anchor(id_prefix, q, j)) for j, e in enumerate(ev)]
    out.append(_legend(len(evs)))
    out.append(document_html(parts, spans, names, max_chars, context_chars))
    out.append("</div>")
    body = "".join(out)
    return _file(body, title) if standalone else body


def _part_names(parts: list[str], sources: Sequence[str] | None) -> list[str] | None:
    """The parts' names ("part i" where ``sources`` has none), or None to show none (a
    single str, unnamed)."""
    if len(parts) <= 1 and sources is None:
        return None
    names = list(sources) if sources is not None else []
    return names + [f"part {i}" for i in range(len(names), len(parts))]


def _question(q: int, question: str | None, answer: str | None) -> str:
    """Question ``q``'s heading in its colour, and its answer if any."""
    label = html.escape(question) if question is not None else "(no question)"
    head = (
        f"<h2 class='question' data-q='{q}'><span class='chip' "
        f"style='background:{colour(q, 0.8)}'>Q{q + 1}</span> {label}</h2>"
    )
    if answer is None:
        return head
    return f"{head}<div class='answer'><b>Answer:</b> {html.escape(str(answer))}</div>"


def _legend(questions: int) -> str:
    """Each question's colour at five scores (and, for several, how shared sentences look)."""
    out = ["<div class='legend'>"]
    for q in range(max(1, questions)):
        swatches = "".join(
            f"<span class='sw' style='background:{colour(q, s)}'>{s:g}</span>"
            for s in (0.0, 0.25, 0.5, 0.75, 1.0)
        )
        out.append(f"<div class='row'>Q{q + 1} score {swatches}</div>")
    if questions > 1:
        out.append("<div class='row'>A sentence kept for several questions is framed by the")
        out.append(" colour of each, the first question outermost.</div>")
    out.append("</div>")
    return "".join(out)


def _file(body: str, title: str) -> str:
    """``body`` as a whole HTML file."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{margin:1.5em auto;max-width:62em;padding:0 1em}</style></head>"
        f"<body>{body}</body></html>"
    )
