"""The evidence page: spans highlighted at their offsets, text escaped, long documents bounded."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from infiniretri_core import InfiniRetri, cli, haystack
from infiniretri_core.errors import InputError
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
        self.doc: list[str] = []
        """The document's text as the page writes it (fold and elision labels left out)."""
        self._open: list[tuple[dict[str, str | None], list[str]]] = []
        self._in_doc = 0  # depth of open <div> inside a .doc
        self._label = 0  # inside a <summary> or an .elided span

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "div" and (self._in_doc or a.get("class") == "doc"):
            self._in_doc += 1
        if self._in_doc and (tag == "summary" or a.get("class") == "elided"):
            self._label += 1
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
        if tag == "div" and self._in_doc:
            self._in_doc -= 1
        if self._label and tag in ("summary", "span"):
            self._label -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_doc and not self._label:
            self.doc.append(data)
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


def _covered(p: _Page, q: int) -> set[int]:
    """Document offsets highlighted for question ``q`` (every mark and continuation)."""
    out: set[int] = set()
    for a, t in p.marks:
        if a.get("data-q") == str(q) and a.get("data-start") is not None:
            start, end = int(str(a["data-start"])), int(str(a["data-end"]))
            assert t == TEXT[start:end]  # each mark holds exactly its own text
            out |= set(range(start, end))
    return out


def test_overlapping_spans_of_two_questions_show_both() -> None:
    """select_many can keep one sentence for two questions (or spans that cross): the text is
    written once, and each question's marks cover exactly its spans."""
    shared = _ev(TEXT, "The magic number is 7341.", 1.0, 0)
    crossing = _ev(TEXT, "number is 7341. Gulls circled", 0.5, 0)
    e1 = [shared, _ev(TEXT, "It was not tea.", 0.3, 1)]
    e2 = [_ev(TEXT, "Nobody expected the ship.", 0.9, 0), replace(shared, score=0.6)]
    e3 = [crossing]
    page = render_many(TEXT, [e1, e2, e3], ["number?", "ship?", "gulls?"])
    p = _parse(page)
    assert "".join(p.doc) == TEXT  # reproduced exactly once: nothing lost, nothing doubled
    for q, evs in enumerate((e1, e2, e3)):
        want = set().union(*(range(e.start, e.end) for e in evs))
        assert _covered(p, q) == want
    both = set(range(shared.start, shared.end))
    assert both <= _covered(p, 0) & _covered(p, 1)
    assert {"q0-e0", "q1-e1", "q2-e0"} <= p.ids  # every list row still links to its span
    nested = re.search(r"<mark id='q0-e0'[^>]*><mark id='q1-e1'", page)
    assert nested and "padding:" in nested.group(0)  # the outer mark frames the inner one
    assert "class='cont'" in page  # the crossing span continues past the shared one


def test_far_text_is_folded_not_lost() -> None:
    filler = "Nothing of note happened on this ordinary day in the town. "
    doc = filler * 40 + "The vault code is 4417. " + filler * 40
    page = render(doc, [_ev(doc, "The vault code is 4417.", 1.0, 0)], "code?")
    p = _parse(page)
    assert "".join(p.doc) == doc
    assert page.count("<details class='fold'>") == 2
    assert re.search(r"<summary>… [\d,]+ characters …</summary>", page)
    # the window around the span holds whole sentences
    shown = re.search(r"</details>(.*?)<details", page, re.S)
    assert shown and shown.group(1).startswith("Nothing") and shown.group(1).endswith("town.")


def test_selection_holds_its_document() -> None:
    evs = [_ev(TEXT, "The magic number is 7341.", 1.0, 0)]
    bare = Selection(evs, 100, 20, 1, 3)
    held = Selection(evs, 100, 20, 1, 3, document=TEXT, question="number?")
    assert held == bare and repr(held) == repr(bare) and held.as_dict() == bare.as_dict()
    assert "number?" not in repr(held) and TEXT not in repr(held)
    page = held.to_html()
    assert page == bare.to_html(TEXT, "number?")
    assert _doc_marks(_parse(page)) == {"q0-e0": "The magic number is 7341."}
    with pytest.raises(InputError, match="does not hold its document"):
        bare.to_html()
    frag = held._repr_html_()  # Jupyter: the page as a fragment with its own anchors
    assert frag.startswith("<div class='irp'>") and "<html" not in frag and "body{" not in frag
    p = _parse(frag)
    assert "".join(p.doc) == TEXT and p.links and all(link[1:] in p.ids for link in p.links)
    assert all(i.startswith("ir") for i in p.ids)
    ans = Answer("7341", evs, held)
    assert "Answer:" in "".join(_parse(ans.to_html()).text)
    assert "7341" in ans._repr_html_() and "<table" in bare._repr_html_()


def test_engine_selections_hold_the_document(engine: InfiniRetri) -> None:
    text = haystack.build(engine.tokenizer, 600, 0.5)
    questions = [haystack.QUESTION, "Where should you sit on a sunny day?"]
    sels = engine.select_many(text, questions)
    assert [s.document for s in sels] == [text, text] and sels[0].document is text
    assert [s.question for s in sels] == questions
    parts = [text[:1000], text[1000:]]
    (sel,) = engine.select_many(parts, questions[:1])
    assert sel.document == tuple(parts)
    p = _parse(sel.to_html())
    assert "".join(p.doc) == "".join(parts)
    assert sorted(_doc_marks(p).values()) == sorted(e.text for e in sel.evidence)
    assert all(parts[e.source][e.start : e.end] == e.text for e in sel.evidence)
    p = _parse(render_many(text, sels, questions))
    assert "".join(p.doc) == text
