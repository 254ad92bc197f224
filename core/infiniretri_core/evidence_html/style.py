"""What every piece of the evidence page shares: one hue per question, the scoped CSS, and
attribute escaping."""

from __future__ import annotations

import html

HUES = (210, 10, 130, 40, 280, 170, 330, 80)
"""One hue per question (blue, red, green, orange, purple, teal, pink, olive)."""

CSS = """
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
"""Scoped to ``.irp``, so a fragment in a notebook restyles nothing around it."""


def colour(q: int, score: float) -> str:
    """Question ``q``'s hue, darker for a higher score."""
    light = 90 - 38 * max(0.0, min(1.0, score))
    return f"hsl({HUES[q % len(HUES)]},85%,{light:.0f}%)"


def attr(text: str) -> str:
    """``text`` escaped for a quoted attribute value."""
    return html.escape(text, quote=True)
