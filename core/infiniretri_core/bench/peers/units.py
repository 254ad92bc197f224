"""The retrieval units every sentence retriever shares: our engine's sentences.

RAG and BM25 rank exactly the sentences our engine reads (same segmentation, same bound on
sentence length), and fill the same token budget, so only the ranking differs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...document import PreparedDocument
from . import Retrieved


@dataclass(frozen=True)
class Units:
    texts: list[str]
    """Each sentence, surrounding whitespace trimmed."""
    tokens: np.ndarray
    """Each sentence's token count."""


def units(engine: Any, document: str) -> Units:
    doc = engine.prepare(document)
    return Units(sentence_texts(doc), doc.lengths.copy())


def sentence_texts(doc: PreparedDocument) -> list[str]:
    """Each sentence of a prepared document, as a read segments it (whitespace trimmed)."""
    return [doc.text[slice(*doc.span(i))] for i in range(len(doc.sentences))]


def within_budget(u: Units, ranking: Sequence[int], budget: int | None) -> list[int]:
    """The best-ranked units whose tokens fit ``budget``, in document order.

    A unit that does not fit is skipped and smaller ones after it may still fill the
    budget (as our engine's own cache bound does).
    """
    if budget is None:
        return sorted(ranking)
    chosen, total = [], 0
    for i in ranking:
        n = int(u.tokens[i])
        if total + n <= budget:
            chosen.append(int(i))
            total += n
    return sorted(chosen)


def join(u: Units, ids: Sequence[int]) -> str:
    """The chosen units as one text, as :attr:`Selection.context` joins our evidence."""
    return " ".join(u.texts[i] for i in ids)


def retrieved(u: Units, scores: np.ndarray, budget: int | None, t0: float) -> Retrieved:
    """What a sentence retriever started at ``t0`` hands the writer: the best-scored units
    that fit ``budget``, joined in document order, and their texts best first."""
    ranking = np.argsort(-scores, kind="stable")
    chosen = within_budget(u, ranking.tolist(), budget)
    taken = set(chosen)
    return Retrieved(
        join(u, chosen),
        time.perf_counter() - t0,
        note=f"{len(chosen)} sentences",
        ranked=[u.texts[i] for i in ranking if i in taken],
    )
