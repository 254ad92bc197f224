"""The cascade's second stage: a ranker reads only what the read kept, all of it at once.

A read's cache holds sentences scored at different steps, each against its own chunk, and the
writer's budget is filled from those scores. One more read of the final cache alone, where
every kept sentence is seen with the question in one forward, gives scores that compare. The
ranker may be a larger model than the reader: reading a whole document with it would cost
several times more, while ranking the ~1-2k kept tokens costs one forward.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np

from .reading import ReadState
from .types import Selection

RANKER_OPTIONS: Mapping[str, Any] = MappingProxyType(
    {"chunk_size": 4096, "top_k": 1_000_000, "max_cache_tokens": None}
)
"""A ranker reads a whole cache (at most ``max_cache_tokens`` of the reader's tokens) in one
step and keeps every sentence of it: it ranks, it never drops."""


class Ranker(Protocol):
    """What ranks a cache: an :class:`~infiniretri_core.InfiniRetri` built with
    :data:`RANKER_OPTIONS` (or any object whose ``select`` reads parts)."""

    def select(self, document: Sequence[str], question: str) -> Selection: ...


def rank_texts(ranker: Ranker, texts: Sequence[str], question: str) -> np.ndarray:
    """Each text's score by the ranker (its best sentence's), the texts read in their order
    as the parts of one document; a text the ranker did not keep scores below all others."""
    if not texts:
        return np.zeros(0)
    selection = ranker.select(list(texts), question)
    scores = np.full(len(texts), -np.inf)
    for e in selection.evidence:
        scores[e.source] = max(scores[e.source], e.score)
    missing = ~np.isfinite(scores)
    if missing.any():
        low = scores[~missing].min() if (~missing).any() else 0.0
        scores[missing] = low - 1.0
    return scores


def rerank_states(ranker: Ranker, states: Sequence[ReadState], questions: Sequence[str]) -> None:
    """Replace each read's cache scores by the ranker's (the time it took counted in)."""
    for state, question in zip(states, questions, strict=True):
        t0 = time.perf_counter()
        doc = state.doc
        texts = [doc.text[slice(*doc.span(sid))] for sid in state.cache]
        state.peaks = rank_texts(ranker, texts, question)
        state.seconds += time.perf_counter() - t0
