"""A self-contained HTML page showing what the model read: the question, the answer, the
evidence list, and the document with every kept sentence highlighted by score.

No script and no network resource: inline CSS only, so the page works from a file offline.
All document and user text is escaped. Stretches of the document far from any evidence are
folded (``<details>``: one click opens them); above ``max_chars`` a part shows only windows of
context around its evidence, the elided stretches marked. Spans of several questions may
overlap: the marks nest (split where two spans cross), each visible as a frame of its colour
around the inner one, and the text is written once. The CSS is scoped to ``.irp``, so a
fragment (``standalone=False``) can sit inside a notebook without restyling it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types imports this module in its methods: no import at run time
    from .types import Evidence

MAX_CHARS = 200_000
"""Above this many characters, a part is shown as windows around its evidence."""
CONTEXT_CHARS = 250
"""At most this many characters of context on each side of an evidence span (whole sentences
where they fit); the rest of a part is folded (or, in a part above ``max_chars``, elided)."""
MIN_FOLD = 240
"""A stretch between two windows shorter than this is shown rather than folded."""
TOP_ROWS = 10
"""Evidence rows shown (shared by the questions, at least 3 each); the others are one click
away."""
REPR_MAX_CHARS = 20_000
"""``max_chars`` of the fragment a notebook shows (``_repr_html_``): notebooks store outputs."""

_HUES = (210, 10, 130, 40, 280, 170, 330, 80)
"""One hue per question (blue, red, green, orange, purple, teal, pink, olive)."""

_CSS = """
.irp{font-family:system-ui,sans-serif;line-height:1.6;color:#222;max-width:62em}
.irp h1{font-size:1.25em;margin:.2em 0 .6em}
.irp h2{font-size:1.05em;margin:1.1em 0 .4em}
.irp .chip{padding:0 .35em;border-radius:3px;font-size:.85em}
.irp .answer{background:#f4f4f4;padding:.4em .9em;border-left:4px solid #888;margin:.4em 0}
.irp table{border-collapse:collapse;font-size:.85em;width:100%;table-layout:fixed}
.irp td,.irp th{border-bottom:1px solid #eee;padding:2px 6px;text-align:left;
white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.irp th{color:#555;font-weight:600}
.irp .n{width:2.4em}.irp .sc{width:4.2em}.irp .ch{width:4.8em}.irp .of{width:9.5em}
.irp .src{width:9em}
.irp details.more>summary,.irp details.fold>summary{color:#777;font-style:italic;
cursor:pointer;font-size:.9em;font-family:system-ui,sans-serif}
.irp .legend{font-size:.85em;margin:1em 0 .3em}
.irp .legend span.sw{display:inline-block;width:2.6em;text-align:center}
.irp .legend .row{margin:.15em 0}
.irp .doc{white-space:pre-wrap;font-family:Georgia,serif;border:1px solid #ccc;
padding:.6em 1em;overflow-wrap:break-word}
.irp .doc mark{color:inherit;padding:0 1px;border-radius:2px}
.irp .doc mark.cont{border-top-left-radius:0;border-bottom-left-radius:0}
.irp .elided{display:block;color:#888;font-style:italic;text-align:center;margin:.3em 0}
.irp details.fold{margin:.2em 0}
.irp details.fold>summary{text-align:center}
.irp .cb{border-left:2px dashed #999;margin:0 3px;padding-left:3px;font-size:.7em;color:#888;
font-family:system-ui,sans-serif;vertical-align:super}
.irp .cb::after{content:attr(data-c)}
.irp .part{margin-top:1em;font-weight:bold}
"""


@dataclass(frozen=True)
class _Span:
    ev: Evidence
    q: int  # question index
    anchor: str


@dataclass
class _Open:
    """A mark being written: where its opening tag goes in the output, and what it covers."""

    span: _Span
    start: int
    slot: int
    first: bool
    inner: int = 0  # depth of the marks nested in it


def _colour(q: int, score: float) -> str:
    light = 90 - 38 * max(0.0, min(1.0, score))
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
    parts = _parts(document)
    names = list(sources) if sources is not None else []
    names += [f"part {i}" for i in range(len(names), len(parts))]
    named = len(parts) > 1 or sources is not None  # show the parts' names
    evs: list[list[Evidence]] = []
    for s in selections:
        evs.append(list(getattr(s, "evidence", s)))  # type: ignore[call-overload]
    if answers is None:
        answers = [getattr(s, "text", None) for s in selections]
    out: list[str] = [f"<div class='irp'><style>{_CSS}</style>"]
    out.append(f"<h1>{html.escape(title)}</h1>")
    spans: list[_Span] = []
    for q, (question, ev, ans) in enumerate(zip(questions, evs, answers, strict=False)):
        label = html.escape(question) if question is not None else "(no question)"
        out.append(
            f"<h2 class='question' data-q='{q}'><span class='chip' "
            f"style='background:{_colour(q, 0.8)}'>Q{q + 1}</span> {label}</h2>"
        )
        if ans is not None:
            out.append(f"<div class='answer'><b>Answer:</b> {html.escape(str(ans))}</div>")
        ranked = sorted(enumerate(ev), key=lambda je: -je[1].score)
        rows = [
            _row(i, e, f"{id_prefix}q{q}-e{j}", q, names, named) for i, (j, e) in enumerate(ranked)
        ]
        top = max(3, TOP_ROWS // max(1, len(evs)))
        out.append(_table(rows[:top], named))
        if len(rows) > top:
            out.append(
                f"<details class='more'><summary>{len(rows) - top} more evidence "
                f"sentences</summary>{_table(rows[top:], named, head=False)}</details>"
            )
        spans += [_Span(e, q, f"{id_prefix}q{q}-e{j}") for j, e in enumerate(ev)]
    out.append("<div class='legend'>")
    for q in range(max(1, len(evs))):
        swatches = "".join(
            f"<span class='sw' style='background:{_colour(q, s)}'>{s:g}</span>"
            for s in (0.0, 0.25, 0.5, 0.75, 1.0)
        )
        out.append(f"<div class='row'>Q{q + 1} score {swatches}</div>")
    if len(evs) > 1:
        out.append("<div class='row'>A sentence kept for several questions is framed by the")
        out.append(" colour of each, the first question outermost.</div>")
    out.append("</div><h2>Document</h2>")
    for p, part in enumerate(parts):
        mine = sorted(
            (s for s in spans if s.ev.source == p), key=lambda s: (s.ev.start, -s.ev.end, s.q)
        )
        if named:
            out.append(f"<div class='part'>{html.escape(names[p])}</div>")
        out.append(f"<div class='doc' data-part='{p}'>")
        out.append(_render_part(part, mine, max_chars, context_chars))
        out.append("</div>")
    out.append("</div>")
    body = "".join(out)
    if not standalone:
        return body
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{margin:1.5em auto;max-width:62em;padding:0 1em}</style></head>"
        f"<body>{body}</body></html>"
    )


def _row(i: int, e: Evidence, anchor: str, q: int, names: list[str], with_source: bool) -> str:
    snippet = " ".join(e.text.split())
    if len(snippet) > 200:
        snippet = snippet[:200] + "…"
    src = ""
    if with_source:
        name = names[e.source] if 0 <= e.source < len(names) else str(e.source)
        src = f"<td class='src' title='{_attr(name)}'>{html.escape(name)}</td>"
    return (
        f"<tr><td>{i + 1}</td><td style='background:{_colour(q, e.score)}'>{e.score:.2f}</td>"
        f"<td>{e.chunk}</td><td><a href='#{_attr(anchor)}'>{e.start}:{e.end}</a></td>{src}"
        f"<td>{html.escape(snippet)}</td></tr>"
    )


def _table(rows: list[str], with_source: bool, head: bool = True) -> str:
    cols = ["n", "sc", "ch", "of"] + (["src"] if with_source else []) + ["tx"]
    names = ["#", "score", "chunk", "offsets"] + (["source"] if with_source else []) + ["text"]
    colgroup = "".join(f"<col class='{c}'>" for c in cols)
    header = "<tr>" + "".join(f"<th>{n}</th>" for n in names) + "</tr>" if head else ""
    return f"<table class='evidence'><colgroup>{colgroup}</colgroup>{header}{''.join(rows)}</table>"


_SENTENCE_END = re.compile(r"[.?!][\"')\]]*(?=\s)|\n\s*\n")
_SPACE = re.compile(r"\s")


def _back(text: str, pos: int, limit: int) -> int:
    """Where context before ``pos`` starts: the earliest sentence start within ``limit``
    characters, else a word start."""
    lo = max(0, pos - limit)
    if lo == 0:
        return 0
    m = _SENTENCE_END.search(text, lo, pos) or _SPACE.search(text, lo, pos)
    start = m.end() if m else pos
    while start < pos and text[start].isspace():
        start += 1
    return start


def _fwd(text: str, pos: int, limit: int) -> int:
    """Where context after ``pos`` ends: the last sentence end within ``limit`` characters,
    else a word end."""
    hi = min(len(text), pos + limit)
    if hi == len(text):
        return hi
    ends = [m.end() for m in _SENTENCE_END.finditer(text, pos, hi)]
    end = (
        ends[-1] if ends else max((m.start() for m in _SPACE.finditer(text, pos, hi)), default=pos)
    )
    while end > pos and text[end - 1].isspace():
        end -= 1
    return end


def _windows(
    text: str, spans: list[_Span], max_chars: int, context: int
) -> tuple[list[tuple[int, int]], bool]:
    """The stretches of a part to show, and whether the rest is elided (long part) rather
    than folded."""
    n = len(text)
    long = n > max_chars
    if long:  # many spans: narrower windows, so the shown text stays near ``max_chars``
        context = min(context, max(80, max_chars // (2 * max(1, len(spans)))))
    elif not spans:
        return [(0, n)], False
    gap = 0 if long else MIN_FOLD
    windows: list[tuple[int, int]] = []
    for s in spans:
        a = _back(text, max(0, min(n, s.ev.start)), context)
        b = _fwd(text, min(n, max(s.ev.end, s.ev.start)), context)
        if windows and a - windows[-1][1] < max(gap, 1):
            windows[-1] = (windows[-1][0], max(windows[-1][1], b))
        else:
            windows.append((a, b))
    if not windows:
        windows.append((0, min(n, context)))
    if not long:  # no fold for a short head or tail
        if windows[0][0] < MIN_FOLD:
            windows[0] = (0, windows[0][1])
        if n - windows[-1][1] < MIN_FOLD:
            windows[-1] = (windows[-1][0], n)
    return windows, long


def _render_part(text: str, spans: list[_Span], max_chars: int, context: int) -> str:
    """``spans`` sorted by (start, -end, question)."""
    windows, long = _windows(text, spans, max_chars, context)
    out: list[str] = []

    def skip(a: int, b: int) -> None:
        if long:
            out.append(f"<span class='elided'>... {b - a:,} characters ...</span>")
        else:
            out.append(
                f"<details class='fold'><summary>… {b - a:,} characters …</summary>"
                f"{html.escape(text[a:b])}</details>"
            )

    pos = 0
    si = 0
    prev_chunk: dict[int, int] = {}
    for a, b in windows:
        if a > pos:
            skip(pos, a)
        mine = []
        while si < len(spans) and spans[si].ev.start < b:
            mine.append(spans[si])
            si += 1
        _marks(text, a, b, mine, prev_chunk, out)
        pos = b
    if pos < len(text):
        skip(pos, len(text))
    out.extend(f"<a id='{_attr(s.anchor)}'></a>" for s in spans[si:])  # offsets past the end
    return "".join(out)


def _marks(
    text: str, a: int, b: int, spans: list[_Span], prev_chunk: dict[int, int], out: list[str]
) -> None:
    """Write ``text[a:b]`` with ``spans`` (inside it) as properly nested marks: a span that
    crosses the end of another is closed there and continued after it."""
    starts: dict[int, list[_Span]] = {}
    anchors: dict[int, list[_Span]] = {}  # empty spans: an anchor keeps the list's link alive
    for s in spans:
        lo, hi = max(a, s.ev.start), min(b, s.ev.end)
        (starts if hi > lo else anchors).setdefault(min(lo, b), []).append(s)
    ends = {min(b, s.ev.end) for group in starts.values() for s in group}
    stack: list[_Open] = []

    def open_(s: _Span, at: int, first: bool) -> None:
        stack.append(_Open(s, at, len(out), first))
        out.append("")  # the opening tag, written when the mark's extent is known

    def close(at: int) -> _Open:
        o = stack.pop()
        out[o.slot] = _tag(o, at)
        out.append("</mark>")
        if stack:
            stack[-1].inner = max(stack[-1].inner, o.inner + 1)
        return o

    pos = a
    for p in sorted({a, b} | set(starts) | set(anchors) | ends):
        if p > pos:
            out.append(html.escape(text[pos:p]))
            pos = p
        if any(min(b, o.span.ev.end) == p for o in stack):
            carried: list[_Open] = []
            while any(min(b, o.span.ev.end) == p for o in stack):
                o = close(p)
                if min(b, o.span.ev.end) != p:
                    carried.append(o)
            for o in reversed(carried):  # continue the crossing ones, outermost first
                open_(o.span, p, False)
        out.extend(f"<a id='{_attr(s.anchor)}'></a>" for s in anchors.get(p, []))
        for s in starts.get(p, []):
            e = s.ev
            last = prev_chunk.get(s.q)
            if last is not None and last != e.chunk:
                out.append(
                    f"<span class='cb' data-c='chunk {e.chunk}' title='chunk {e.chunk}'></span>"
                )
            prev_chunk[s.q] = e.chunk
            open_(s, p, True)
    if pos < b:
        out.append(html.escape(text[pos:b]))
    while stack:  # only spans cut by the window's end (cannot happen: windows hold them)
        close(b)


def _tag(o: _Open, end: int) -> str:
    """The opening tag of a mark covering ``[o.start, end)`` (its text, exactly)."""
    s, e = o.span, o.span.ev
    tip = _attr(f"Q{s.q + 1} score {e.score:.2f}, chunk {e.chunk}, [{e.start}:{e.end}]")
    hue = _HUES[s.q % len(_HUES)]
    pad = f";padding:{3 * o.inner}px 1px;box-shadow:inset 0 0 0 1px hsl({hue},85%,38%)"
    pad = pad if o.inner else ""  # a frame around the marks nested in it
    ident = f"id='{_attr(s.anchor)}' " if o.first else "class='cont' "
    return (
        f"<mark {ident}data-start='{o.start}' data-end='{end}' data-q='{s.q}' "
        f"style='background:{_colour(s.q, e.score)}{pad}' title='{tip}'>"
    )


def evidence_list_html(
    evidence: Sequence[Evidence], question: str | None = None, answer: str | None = None
) -> str:
    """The evidence list alone (no document), after the answer if any: for ``_repr_html_`` of
    a Selection that does not hold its document."""
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
