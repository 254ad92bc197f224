"""A scorer and its terms: what one read computes from each step's captured rows."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .base import PreparedTerm, QuestionRows, Scorer, Term, TermStep


@dataclass(frozen=True)
class QuestionState:
    """What one question keeps across the steps of one read: its scorer's state (handed to
    the scorer as :attr:`QuestionRows.state`) and each term with its own prepared state."""

    scorer: object
    terms: tuple[PreparedTerm, ...]


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

    def start(
        self, tokenizer: Any, doc_ids: np.ndarray, offsets: np.ndarray, question: list[int]
    ) -> QuestionState:
        """A fresh state for one question's read of a document (before reading)."""
        terms = tuple(
            PreparedTerm(t, t.prepare(tokenizer, doc_ids, offsets, question)) for t in self.terms
        )
        return QuestionState(self.scorer.start(), terms)

    def score(self, q: QuestionRows, step: TermStep | None, state: QuestionState) -> torch.Tensor:
        """Token scores of one question's step; ``state``: the question's, from :meth:`start`
        (``step`` is needed when there are terms)."""
        scores = self.scorer.score(dataclasses.replace(q, state=state.scorer))
        for term in state.terms:
            assert step is not None
            scores = term.adjust(scores, step)
        return scores
