"""A self-contained HTML page showing what the model read: the question, the answer, the
evidence list, and the document with every kept sentence highlighted by score.

No script and no network resource: inline CSS only, so the page works from a file offline.
All document and user text is escaped. Documents above ``max_chars`` are shown as windows
of context around the evidence, the elided stretches marked.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types imports this module in its methods: no import at run time
    from .types import Evidence

MAX_CHARS = 200_000
"""Above this many characters, a part is shown as windows around its evidence."""
CONTEXT_CHARS = 600
"""Characters of context kept on each side of an evidence span in a long part."""

_HUES = (210, 10, 130, 40, 280, 170, 330, 80)
"""One hue per question (blue, red, green, orange, purple, teal, pink, olive)."""

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;line-height:1.5;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
.doc{white-space:pre-wrap;font-family:Georgia,serif;border:1px solid #ccc;padding:1em}
mark{padding:0 1px;border-radius:2px;color:inherit}
.elided{display:block;color:#888;font-style:italic;text-align:center;margin:.5em 0}
.cb{display:inline-block;border-left:2px dashed #999;margin:0 2px;height:1em;
vertical-align:middle}
.legend span{display:inline-block;width:3em;text-align:center;font-size:.8em}
table{border-collapse:collapse;font-size:.9em}td,th{border-bottom:1px solid #eee;
padding:2px 6px;vertical-align:top;text-align:left}
.answer{background:#f4f4f4;padding:.5em 1em;border-left:4px solid #888}
.part{margin-top:1em;font-weight:bold}
"""


@dataclass(frozen=True)
class _Span:
    ev: Evidence
    q: int  # question index
    anchor: str


def _colour(q: int, score: float) -> str:
    light = 92 - 42 * max(0.0, min(1.0, score))
    return f"hsl({_HUES[q % len(_HUES)]},85%,{light:.0f}%)"


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _parts(document: str | Sequence[str]) -> list[str]:
    return [document] if isinstance(document, str) else list(document)


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
) -> str:
    """The page for one question: ``document`` a str or a sequence of parts (``Evidence.source``
    indexes them, offsets relative to the part); ``sources`` names the parts."""
    return render_many(
        document,
        [evidence],
        [question],
        answers=[answer],
        sources=sources,
        title=title,
        max_chars=max_chars,
        context_chars=context_chars,
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
) -> str:
    """One page for several questions over one document, one colour per question.
    ``selections`` holds, per question, a list of Evidence or a Selection/Answer."""
    parts = _parts(document)
    names = list(sources) if sources is not None else []
    names += [f"part {i}" for i in range(len(names), len(parts))]
    evs: list[list[Evidence]] = []
    for s in selections:
        evs.append(list(getattr(s, "evidence", s)))  # type: ignore[call-overload]
    if answers is None:
        answers = [getattr(s, "text", None) for s in selections]
    out: list[str] = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    spans: list[_Span] = []
    for q, (question, ev, ans) in enumerate(zip(questions, evs, answers, strict=False)):
        colour = _colour(q, 0.8)
        label = html.escape(question) if question is not None else "(no question)"
        out.append(
            f"<h2 class='question' data-q='{q}'><mark style='background:{colour}'>"
            f"Q{q + 1}</mark> {label}</h2>"
        )
        if ans is not None:
            out.append(f"<div class='answer'><b>Answer:</b> {html.escape(str(ans))}</div>")
        out.append(
            "<table class='evidence'><tr><th>#</th><th>score</th><th>chunk</th>"
            "<th>offsets</th><th>source</th><th>text</th></tr>"
        )
        ranked = sorted(enumerate(ev), key=lambda je: -je[1].score)
        for i, (j, e) in enumerate(ranked):
            anchor = f"q{q}-e{j}"
            src = names[e.source] if 0 <= e.source < len(names) else str(e.source)
            snippet = " ".join(e.text.split())
            if len(snippet) > 200:
                snippet = snippet[:200] + "…"
            out.append(
                f"<tr><td>{i + 1}</td><td>{e.score:.2f}</td><td>{e.chunk}</td>"
                f"<td><a href='#{anchor}'>{e.start}:{e.end}</a></td>"
                f"<td>{html.escape(src)}</td><td>{html.escape(snippet)}</td></tr>"
            )
        out.append("</table>")
        spans += [_Span(e, q, f"q{q}-e{j}") for j, e in enumerate(ev)]
    out.append("<div class='legend'>score: ")
    for q in range(max(1, len(evs))):
        out += [
            f"<span style='background:{_colour(q, s)}'>{s:.2f}</span>"
            for s in (0.0, 0.25, 0.5, 0.75, 1.0)
        ]
        out.append(" ")
    out.append("</div><h2>Document</h2>")
    for p, part in enumerate(parts):
        mine = sorted((s for s in spans if s.ev.source == p), key=lambda s: s.ev.start)
        if len(parts) > 1:
            out.append(f"<div class='part'>{html.escape(names[p])}</div>")
        out.append(f"<div class='doc' data-part='{p}'>")
        out.append(_render_part(part, mine, max_chars, context_chars))
        out.append("</div>")
    out.append("</body></html>")
    return "".join(out)


def _render_part(text: str, spans: list[_Span], max_chars: int, context: int) -> str:
    # Spans of several questions may overlap: keep the first of each overlapping run
    # highlighted, the others still linked via an empty anchor at their start.
    shown: list[str] = []
    windows: list[tuple[int, int]] = []
    if len(text) > max_chars:
        # Many spans: narrower windows, so the shown text stays near ``max_chars``.
        context = min(context, max(80, max_chars // (2 * max(1, len(spans)))))
        for s in spans:
            a, b = max(0, s.ev.start - context), min(len(text), s.ev.end + context)
            if windows and a <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(windows[-1][1], b))
            else:
                windows.append((a, b))
        if not windows:
            windows.append((0, min(len(text), context)))
    else:
        windows.append((0, len(text)))
    pos = 0
    prev_chunk: dict[int, int] = {}
    si = 0
    for a, b in windows:
        if a > pos:
            shown.append(f"<span class='elided'>... {a - pos:,} characters ...</span>")
        pos = a
        while si < len(spans) and spans[si].ev.start < b:
            s = spans[si]
            si += 1
            e = s.ev
            start = max(e.start, pos)
            if start > e.start or start >= e.end:  # overlaps one already shown
                shown.append(f"<a id='{s.anchor}'></a>")
                continue
            shown.append(html.escape(text[pos:start]))
            last = prev_chunk.get(s.q)
            if last is not None and last != e.chunk:
                shown.append(f"<span class='cb' title='chunk {e.chunk}'></span>")
            prev_chunk[s.q] = e.chunk
            tip = _attr(f"Q{s.q + 1} score {e.score:.2f}, chunk {e.chunk}, [{e.start}:{e.end}]")
            shown.append(
                f"<mark id='{s.anchor}' data-start='{e.start}' data-end='{e.end}' "
                f"data-q='{s.q}' style='background:{_colour(s.q, e.score)}' title='{tip}'>"
                f"{html.escape(text[e.start : e.end])}</mark>"
            )
            pos = e.end
        if b > pos:
            shown.append(html.escape(text[pos:b]))
            pos = b
    if pos < len(text):
        shown.append(f"<span class='elided'>... {len(text) - pos:,} characters ...</span>")
    return "".join(shown)


def evidence_list_html(
    evidence: Sequence[Evidence], question: str | None = None, answer: str | None = None
) -> str:
    """The evidence list alone (no document), after the answer if any: for ``_repr_html_``."""
    rows = "".join(
        f"<tr><td>{e.score:.2f}</td><td>{e.chunk}</td><td>{e.source}</td>"
        f"<td>{e.start}:{e.end}</td><td style='background:{_colour(0, e.score)}'>"
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
