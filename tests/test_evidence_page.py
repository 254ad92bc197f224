"""The evidence page: spans highlighted at their offsets, text escaped, long documents bounded."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from infiniretri_core import InfiniRetri, cli, haystack
from infiniretri_core.evidence_html import render, render_many
from infiniretri_core.types import Answer, Evidence, Selection

TEXT = (
    "The harbour was quiet that morning. Nobody expected the ship. "
    "The magic number is 7341. Gulls circled over the pier while the tide turned. "
    "Later, the captain said the cargo was tea. It was not tea."
)


class _Page(HTMLParser):
    """Collects each <mark>'s attributes and text, every tag seen, and all text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[tuple[dict[str, str | None], str]] = []
        self.tags: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self._open: list[tuple[dict[str, str | None], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "mark":
            self._open.append((a, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self._open:
            a, parts = self._open.pop()
            self.marks.append((a, "".join(parts)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for _, parts in self._open:
            parts.append(data)


def _parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    p.close()
    return p


def _ev(text: str, needle: str, score: float, chunk: int, source: int = 0) -> Evidence:
    start = text.index(needle)
    return Evidence(needle, start, start + len(needle), score, chunk, 0, source)


def _doc_marks(p: _Page) -> dict[str, str]:
    """Highlighted document spans (marks with offsets), by anchor id."""
    return {str(a["id"]): t for a, t in p.marks if a.get("data-start") is not None}


def test_every_span_highlighted_at_its_offsets() -> None:
    evs = [
        _ev(TEXT, "The magic number is 7341.", 1.0, 0),
        _ev(TEXT, "It was not tea.", 0.4, 1),
    ]
    page = Selection(evs, 100, 20, 2, 3).to_html(TEXT, "What is the magic number?")
    p = _parse(page)
    marks = _doc_marks(p)
    assert len(marks) == 2
    for a, t in p.marks:
        if a.get("data-start") is None:
            continue
        start, end = int(str(a["data-start"])), int(str(a["data-end"]))
        assert t == TEXT[start:end]
        assert f"[{start}:{end}]" in str(a["title"]) and "chunk" in str(a["title"])
    assert {"q0-e0", "q0-e1"} <= p.ids
    assert {"#q0-e0", "#q0-e1"} <= set(p.links)  # the evidence list links to the spans
    assert "What is the magic number?" in "".join(p.text)
    assert "cb" in page  # chunk 0 -> 1: a boundary is marked
    assert "<script" not in page and "http" not in page  # self-contained


def test_answer_page_and_repr() -> None:
    evs = [_ev(TEXT, "The magic number is 7341.", 1.0, 0)]
    sel = Selection(evs, 100, 20, 1, 3)
    ans = Answer("7341", evs, sel)
    p = _parse(ans.to_html(TEXT, "q"))
    assert "7341" in "".join(p.text)
    assert "Answer:" in "".join(p.text)
    assert "7341" in ans._repr_html_() and "7341" in sel._repr_html_()
    assert Selection(evs, 100, 20, 1, 3) == sel  # equality unchanged


def test_escaping() -> None:
    doc = 'Intro. <script>alert(1)</script> and </div> here. The key is "x<y". End.'
    evs = [_ev(doc, 'The key is "x<y".', 1.0, 0), _ev(doc, "<script>alert(1)</script>", 0.5, 0)]
    question = "Is \"x\" < y? ' onmouseover='alert(2)"
    page = render(doc, evs, question, answer="<b>bold</b>", sources=["a'b\"<c>"])
    p = _parse(page)
    assert "script" not in p.tags
    text = "".join(p.text)
    assert "<script>alert(1)</script>" in text and "</div>" in text
    assert question in text and "<b>bold</b>" in text
    for a, _ in p.marks:  # no attribute was broken open
        assert "onmouseover" not in a
    marks = _doc_marks(p)
    assert sorted(marks.values()) == sorted(e.text for e in evs)


def test_parts_show_their_source_names() -> None:
    parts = ["Page one text. Alpha is first.", "Page two text. Beta is second."]
    evs = [_ev(parts[1], "Beta is second.", 1.0, 0, source=1)]
    page = render(parts, evs, "q", sources=["intro.pdf#1", "intro.pdf#2"])
    p = _parse(page)
    assert "intro.pdf#1" in "".join(p.text) and "intro.pdf#2" in "".join(p.text)
    ((a, t),) = [(a, t) for a, t in p.marks if a.get("data-start") is not None]
    assert t == parts[1][int(str(a["data-start"])) : int(str(a["data-end"]))]


def test_long_document_is_bounded() -> None:
    filler = "Nothing of note happened on this ordinary day in the town. "
    doc = filler * (4_500_000 // len(filler))
    needles = ["The vault code is 4417.", "The heir lives in Lyon.", "The ship sails at dawn."]
    cut = [len(doc) // 7, len(doc) // 2, len(doc) - 5_000]
    for n, c in sorted(zip(needles, cut, strict=True), key=lambda x: -x[1]):
        doc = doc[:c] + n + " " + doc[c:]
    assert len(doc) > 4_400_000
    evs = sorted(
        (_ev(doc, n, 0.5 + i / 4, i) for i, n in enumerate(needles)), key=lambda e: e.start
    )
    page = render(doc, evs, "Where is the heir?")
    size = len(page.encode("utf-8"))
    assert size < 2_000_000, size
    assert size < 50_000  # windows only
    assert re.search(r"\.\.\. [\d,]{7,} characters \.\.\.", page)
    p = _parse(page)
    marks = _doc_marks(p)
    assert sorted(marks.values()) == sorted(needles)
    for a, t in p.marks:
        if a.get("data-start") is not None:
            assert t == doc[int(str(a["data-start"])) : int(str(a["data-end"]))]


def test_many_questions_one_colour_each() -> None:
    e1 = [_ev(TEXT, "The magic number is 7341.", 1.0, 0)]
    e2 = [_ev(TEXT, "It was not tea.", 1.0, 0), _ev(TEXT, "Nobody expected the ship.", 1.0, 0)]
    page = render_many(TEXT, [e1, e2], ["number?", "cargo?"])
    p = _parse(page)
    hues: dict[str, set[str]] = {}
    for a, _ in p.marks:
        if a.get("data-start") is None:
            continue
        hue = re.match(r"background:hsl\((\d+),", str(a["style"]))
        assert hue
        hues.setdefault(str(a["data-q"]), set()).add(hue.group(1))
    assert set(hues) == {"0", "1"}
    assert all(len(h) == 1 for h in hues.values())
    assert hues["0"] != hues["1"]
    assert {"#q0-e0", "#q1-e0", "#q1-e1"} <= set(p.links)


def test_cli_html_flag_is_parsed() -> None:
    args = cli._parser(["select", "f.txt", "-q", "x", "--html", "out.html"]).parse_args(
        ["select", "f.txt", "-q", "x", "--html", "out.html"]
    )
    assert args.html == "out.html"


def test_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "``" not in out and "infiniretri ask" in out


def test_write_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "page.html"
    evs = [_ev(TEXT, "It was not tea.", 1.0, 0)]
    cli.write_html(str(out), render(TEXT, evs, "q"))
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert str(out) in capsys.readouterr().err


def test_cli_select_writes_the_page(
    tmp_path: Path, engine: InfiniRetri, capsys: pytest.CaptureFixture[str]
) -> None:
    """One real select through the CLI: every kept sentence is highlighted at its offsets."""
    book = tmp_path / "book.txt"
    text = haystack.build(engine.tokenizer, 1_500, 0.5)
    book.write_text(text, encoding="utf-8")
    out = tmp_path / "page.html"
    code = cli.main(
        ["select", str(book), "-q", haystack.QUESTION, "--no-progress", "--html", str(out)],
        engine=engine,
    )
    assert code == 0, capsys.readouterr().err
    p = _parse(out.read_text(encoding="utf-8"))
    marks = [(a, t) for a, t in p.marks if a.get("data-start") is not None]
    assert marks
    for a, t in marks:
        assert t == text[int(str(a["data-start"])) : int(str(a["data-end"]))]
    assert any("Dolores Park" in t for _, t in marks)


def test_many_spans_in_a_long_document_stay_bounded() -> None:
    filler = "Nothing of note happened on this ordinary day in the town. "
    doc = filler * (4_500_000 // len(filler))
    step = len(doc) // 3_000
    evs = [
        Evidence(filler, s, s + len(filler), (i % 10) / 10, i // 100, i)
        for i, s in enumerate(range(0, len(doc) - step, step // len(filler) * len(filler)))
    ]
    assert len(evs) >= 2_900
    page = render(doc, evs, "q")
    assert len(page.encode("utf-8")) < 2_000_000
    assert len(_doc_marks(_parse(page))) == len(evs)


def test_langchain_documents_grouped_by_source() -> None:
    from langchain_core.documents import Document

    from infiniretri_integrations.evidence_page import langchain_page

    sources = [
        Document(page_content="Page one. Alpha is first.", metadata={"source": "a.txt"}),
        Document(page_content=TEXT, metadata={"source": "b.txt"}),
    ]
    e = _ev(TEXT, "The magic number is 7341.", 0.9, 2, source=1)
    found = [
        Document(
            page_content=e.text,
            metadata={
                "source": "b.txt",
                "source_index": 1,
                "start_index": e.start,
                "end_index": e.end,
                "score": e.score,
                "chunk": e.chunk,
            },
        )
    ]
    for srcs, part in ((sources, TEXT), (None, e.text)):
        p = _parse(langchain_page(found, srcs, question="number?"))
        ((a, t),) = [(a, t) for a, t in p.marks if a.get("data-start") is not None]
        assert t == e.text == part[int(str(a["data-start"])) : int(str(a["data-end"]))]
        assert "b.txt" in "".join(p.text)


def test_llama_index_source_nodes() -> None:
    from llama_index.core.schema import TextNode

    from infiniretri_integrations.evidence_page import llama_index_page
    from infiniretri_integrations.llama_index._nodes import evidence_nodes

    sources = [
        TextNode(text="Page one. Alpha is first.", metadata={"file_name": "a.pdf"}),
        TextNode(text=TEXT, metadata={"file_name": "b.pdf"}),
    ]
    e = _ev(TEXT, "It was not tea.", 0.7, 0, source=1)
    nodes = evidence_nodes([e], sources)
    for srcs, part in ((sources, TEXT), (None, e.text)):
        p = _parse(llama_index_page(nodes, srcs, question="cargo?"))
        ((a, t),) = [(a, t) for a, t in p.marks if a.get("data-start") is not None]
        assert t == e.text == part[int(str(a["data-start"])) : int(str(a["data-end"]))]
        assert "b.pdf" in "".join(p.text)
