"""The evidence page's exact HTML, pinned: a refactor of the renderer must not change a byte.

No model: selections and answers are built by hand. ``python tests/test_evidence_pinned.py``
rewrites ``tests/data/evidence_pages.json`` after a deliberate change of the page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from infiniretri_core.evidence_html import evidence_list_html, render, render_many
from infiniretri_core.types import Answer, Evidence, Selection

PINNED = Path(__file__).parent / "data" / "evidence_pages.json"
TEXT = (
    "The harbour was quiet that morning. Nobody expected the ship. "
    "The magic number is 7341. Gulls circled over the pier while the tide turned. "
    "Later, the captain said the cargo was tea. It was not tea."
)
FILLER = "Nothing of note happened on this ordinary day in the town. "


def _ev(text: str, needle: str, score: float, chunk: int, source: int = 0) -> Evidence:
    start = text.index(needle)
    return Evidence(needle, start, start + len(needle), score, chunk, 0, source)


def _notebook(html: str) -> str:
    """A notebook fragment's anchors carry the object's ``id()``: replaced by a fixed one."""
    return re.sub(r"\bir[0-9a-f]+-", "irX-", html)


def pages() -> dict[str, str]:
    """Every kind of page the renderer writes, by name."""
    magic = _ev(TEXT, "The magic number is 7341.", 1.0, 0)
    tea = _ev(TEXT, "It was not tea.", 0.4, 1)
    ship = _ev(TEXT, "Nobody expected the ship.", 0.9, 0)
    gulls = _ev(TEXT, "Gulls circled over the pier while the tide turned.", 0.2, 1)
    later = _ev(TEXT, "Later, the captain said the cargo was tea.", 0.65, 2)
    crossing = _ev(TEXT, "number is 7341. Gulls circled", 0.5, 0)
    bare = Selection([magic, tea], 100, 20, 2, 3)
    held = Selection([magic, tea], 100, 20, 2, 3, document=TEXT, question="number?")
    answer = Answer("7341 <b>", [magic], held)
    parts = ["Page one text. Alpha is first.", "Page <two> text. Beta & is second."]
    beta = _ev(parts[1], "Beta & is second.", 1.0, 0, source=1)
    stray = Evidence("x", 3, 8, 0.3, 1, 0, source=5)  # a source past the names
    folded = FILLER * 40 + "The vault code is 4417. " + FILLER * 40
    long = FILLER * 200 + "The heir lives in Lyon. " + FILLER * 100 + "It rains. " + FILLER * 50
    empty = Evidence("", 30, 30, 0.1, 0, 1)
    past = Evidence("gone", len(TEXT) + 5, len(TEXT) + 9, 0.5, 3, 9)
    return {
        "selection": bare.to_html(TEXT, "What is the magic number?"),
        "answer": answer.to_html(),
        "many": render_many(
            TEXT,
            [[magic, tea, ship, gulls, later], [ship, magic], [crossing]],
            ["number?", "ship?", None],
            answers=["7341", None, "gulls"],
        ),
        "many_objects": render_many(TEXT, [held, answer], ["a", "b"], title="Two <reads>"),
        "parts": render(parts, [beta, stray], "q & a", sources=["intro.pdf#1"]),
        "parts_unnamed": render(parts, [beta], None, "yes"),
        "folded": render(folded, [_ev(folded, "The vault code is 4417.", 1.0, 0)], "code?"),
        "elided": render(
            long,
            [_ev(long, "The heir lives in Lyon.", 0.8, 4), _ev(long, "It rains.", 0.3, 6)],
            "heir?",
            max_chars=3_000,
            context_chars=120,
        ),
        "edges": render(TEXT, [empty, magic, past], "edges?", standalone=False, id_prefix="p-"),
        "nothing": render(TEXT, [], standalone=False),
        "notebook_selection": _notebook(held._repr_html_()),
        "notebook_answer": _notebook(answer._repr_html_()),
        "notebook_bare": bare._repr_html_(),
        "notebook_bare_answer": Answer("7341", [magic], bare)._repr_html_(),
        "list": evidence_list_html([magic, tea], "q <1>", "a & b"),
    }


def test_pages_are_unchanged() -> None:
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    now = pages()
    assert sorted(now) == sorted(pinned)
    for name, page in now.items():
        assert page == pinned[name], name


if __name__ == "__main__":
    PINNED.write_text(json.dumps(pages(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {PINNED}")
