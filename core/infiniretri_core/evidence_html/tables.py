"""The evidence tables: per question, its sentences ranked by score, each row linking to its
span in the document; and the bare list a notebook shows when the document is unknown."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .style import attr, colour

if TYPE_CHECKING:
    from ..types import Evidence

TOP_ROWS = 10
"""Evidence rows shown (shared by the questions, at least 3 each); the others are one click
away."""


def shown_rows(questions: int) -> int:
    """Rows shown per question before the rest is folded."""
    return max(3, TOP_ROWS // max(1, questions))


def anchor(id_prefix: str, q: int, j: int) -> str:
    """The id of question ``q``'s ``j``-th evidence span: its row links there."""
    return f"{id_prefix}q{q}-e{j}"


def evidence_tables(
    evidence: Sequence[Evidence], q: int, top: int, names: list[str] | None, id_prefix: str
) -> str:
    """Question ``q``'s evidence, best first: ``top`` rows, the others folded below.
    ``names`` names the document's parts (a source column), or None for no such column."""
    ranked = sorted(enumerate(evidence), key=lambda je: -je[1].score)
    rows = [_row(i, e, anchor(id_prefix, q, j), q, names) for i, (j, e) in enumerate(ranked)]
    named = names is not None
    shown = _table(rows[:top], named)
    if len(rows) <= top:
        return shown
    return (
        f"{shown}<details class='more'><summary>{len(rows) - top} more evidence "
        f"sentences</summary>{_table(rows[top:], named, head=False)}</details>"
    )


def _row(i: int, e: Evidence, link: str, q: int, names: list[str] | None) -> str:
    snippet = " ".join(e.text.split())
    if len(snippet) > 200:
        snippet = snippet[:200] + "…"
    src = ""
    if names is not None:
        name = names[e.source] if 0 <= e.source < len(names) else str(e.source)
        src = f"<td class='src' title='{attr(name)}'>{html.escape(name)}</td>"
    return (
        f"<tr><td>{i + 1}</td><td style='background:{colour(q, e.score)}'>{e.score:.2f}</td>"
        f"<td>{e.chunk}</td><td><a href='#{attr(link)}'>{e.start}:{e.end}</a></td>{src}"
        f"<td>{html.escape(snippet)}</td></tr>"
    )


def _table(rows: list[str], with_source: bool, head: bool = True) -> str:
    cols = ["n", "sc", "ch", "of"] + (["src"] if with_source else []) + ["tx"]
    names = ["#", "score", "chunk", "offsets"] + (["source"] if with_source else []) + ["text"]
    colgroup = "".join(f"<col class='{c}'>" for c in cols)
    header = "<tr>" + "".join(f"<th>{n}</th>" for n in names) + "</tr>" if head else ""
    return f"<table class='evidence'><colgroup>{colgroup}</colgroup>{header}{''.join(rows)}</table>"


def evidence_list_html(
    evidence: Sequence[Evidence], question: str | None = None, answer: str | None = None
) -> str:
    """The evidence list alone (no document), after the answer if any: for ``_repr_html_`` of
    a Selection that does not hold its document."""
    rows = "".join(
        f"<tr><td>{e.score:.2f}</td><td>{e.chunk}</td><td>{e.source}</td>"
        f"<td>{e.start}:{e.end}</td><td style='background:{colour(0, e.score)}'>"
        f"{html.escape(' '.join(e.text.split()))}</td></tr>"
        for e in evidence
    )
    head = f"<p><b>{html.escape(question)}</b></p>" if question else ""
    if answer is not None:
        head += f"<p><b>Answer:</b> {html.escape(answer)}</p>"
    return (
        f"<div>{head}<table><tr><th>score</th><th>chunk</th><th>source</th>"
        f"<th>offsets</th><th>text</th></tr>{rows}</table></div>"
    )
