"""The document on the page, every kept sentence highlighted by score.

Stretches far from any evidence are folded (``<details>``: one click opens them); above
``max_chars`` a part shows only windows of context around its evidence, the elided stretches
marked. Spans of several questions may overlap: the marks nest (split where two spans cross),
each visible as a frame of its colour around the inner one, and the text is written once.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .style import HUES, attr, colour

if TYPE_CHECKING:
    from ..types import Evidence

MAX_CHARS = 200_000
"""Above this many characters, a part is shown as windows around its evidence."""
CONTEXT_CHARS = 250
"""At most this many characters of context on each side of an evidence span (whole sentences
where they fit); the rest of a part is folded (or, in a part above ``max_chars``, elided)."""
MIN_FOLD = 240
"""A stretch between two windows shorter than this is shown rather than folded."""

_SENTENCE_END = re.compile(r"[.?!][\"')\]]*(?=\s)|\n\s*\n")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class Span:
    """An evidence sentence of question ``q``, and the id its table row links to."""

    ev: Evidence
    q: int
    anchor: str


@dataclass
class _Open:
    """A mark being written: where its opening tag goes in the output, and what it covers."""

    span: Span
    start: int
    slot: int
    first: bool
    inner: int = 0  # depth of the marks nested in it


def document_html(
    parts: list[str], spans: list[Span], names: list[str] | None, max_chars: int, context: int
) -> str:
    """The "Document" section: each part (under its name, if ``names``) with its spans."""
    out = ["<h2>Document</h2>"]
    for p, part in enumerate(parts):
        mine = sorted(
            (s for s in spans if s.ev.source == p), key=lambda s: (s.ev.start, -s.ev.end, s.q)
        )
        if names is not None:
            out.append(f"<div class='part'>{html.escape(names[p])}</div>")
        out.append(f"<div class='doc' data-part='{p}'>")
        out.append(_render_part(part, mine, max_chars, context))
        out.append("</div>")
    return "".join(out)


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
    text: str, spans: list[Span], max_chars: int, context: int
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


def _render_part(text: str, spans: list[Span], max_chars: int, context: int) -> str:
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
    out.extend(f"<a id='{attr(s.anchor)}'></a>" for s in spans[si:])  # offsets past the end
    return "".join(out)


def _marks(
    text: str, a: int, b: int, spans: list[Span], prev_chunk: dict[int, int], out: list[str]
) -> None:
    """Write ``text[a:b]`` with ``spans`` (inside it) as properly nested marks: a span that
    crosses the end of another is closed there and continued after it."""
    starts: dict[int, list[Span]] = {}
    anchors: dict[int, list[Span]] = {}  # empty spans: an anchor keeps the list's link alive
    for s in spans:
        lo, hi = max(a, s.ev.start), min(b, s.ev.end)
        (starts if hi > lo else anchors).setdefault(min(lo, b), []).append(s)
    ends = {min(b, s.ev.end) for group in starts.values() for s in group}
    stack: list[_Open] = []

    def open_(s: Span, at: int, first: bool) -> None:
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
        out.extend(f"<a id='{attr(s.anchor)}'></a>" for s in anchors.get(p, []))
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
    tip = attr(f"Q{s.q + 1} score {e.score:.2f}, chunk {e.chunk}, [{e.start}:{e.end}]")
    hue = HUES[s.q % len(HUES)]
    pad = f";padding:{3 * o.inner}px 1px;box-shadow:inset 0 0 0 1px hsl({hue},85%,38%)"
    pad = pad if o.inner else ""  # a frame around the marks nested in it
    ident = f"id='{attr(s.anchor)}' " if o.first else "class='cont' "
    return (
        f"<mark {ident}data-start='{o.start}' data-end='{end}' data-q='{s.q}' "
        f"style='background:{colour(s.q, e.score)}{pad}' title='{tip}'>"
    )
