"""The writer's policy: which kept sentences it reads, in which order, and the answer's
cleaning. The engine and the benchmark's ``ours`` peer both call :func:`writer_sentences`, so
benchmark budgets are what users get; the model that writes is ``local_writer``'s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from .reading import best_within

WriterOrder = Literal["document", "score"]


def writer_sentences(
    lengths: Sequence[int] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    budget: int | None,
    order: WriterOrder,
) -> list[int]:
    """Positions (into the cache, in document order) of the sentences the writer reads, in
    the order it reads them: the best-scored that fit ``budget`` tokens (all if ``None``),
    in document order or by score, the best last, next to the question."""
    peaks = np.asarray(scores)
    chosen = best_within(np.arange(len(peaks)), np.asarray(lengths), peaks, budget)
    if order == "score":
        chosen = chosen[np.argsort(peaks[chosen], kind="stable")]
    return [int(i) for i in chosen]


def clean(text: str) -> str:
    """Strip, and drop a reasoning block (``...</think>``) as the authors do."""
    if "</think>" in text:
        text = text[text.rfind("</think>") + len("</think>") :]
    return text.strip()
