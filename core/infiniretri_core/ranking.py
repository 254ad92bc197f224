"""The best of the kept sentences, for adapters that return a limited number of results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from .errors import InputError
from .types import Evidence

Order = Literal["score", "document"]


def top(evidence: Sequence[Evidence], k: int | None, order: Order = "score") -> list[Evidence]:
    """The ``k`` best-scored sentences (all if ``None``), by score or in document order.

    Ties keep document order, so the result is deterministic.
    """
    if k is not None and k < 0:
        raise InputError(f"the number of results must be >= 0, got {k}")
    by_score = sorted(evidence, key=lambda e: -e.score)
    chosen = by_score if k is None else by_score[:k]
    if order == "document":
        return sorted(chosen, key=lambda e: (e.source, e.start))
    return chosen
