"""A scorer and its terms: what one read computes from each step's captured rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .base import QuestionRows, Scorer, Term, TermStep


@dataclass(frozen=True)
class Pipeline:
    """``scorer``, then each of ``terms`` in order (each sees the scores the last one made)."""

    scorer: Scorer
    terms: tuple[Term, ...] = ()

    def link(self) -> tuple[int, int] | None:
        """The ``(layer, head)`` to capture per sentence for a term (at most one)."""
        links = {t.link() for t in self.terms} - {None}
        if len(links) > 1:
            raise ValueError(f"terms ask for different link heads: {sorted(links)}")  # type: ignore[type-var]
        return next(iter(links), None)

    def layers(self) -> list[int]:
        """Every layer the step must capture."""
        wanted = set(self.scorer.layers())
        link = self.link()
        if link is not None:
            wanted.add(link[0])
        return sorted(wanted)

    def score(self, q: QuestionRows, step: TermStep | None, states: Sequence[Any]) -> torch.Tensor:
        """Token scores of one question's step; ``states``: each term's prepared state
        (``step`` is needed when there are terms)."""
        scores = self.scorer.score(q)
        for term, state in zip(self.terms, states, strict=True):
            assert step is not None
            scores = term.adjust(scores, step, state)
        return scores
