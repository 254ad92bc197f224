"""The paper's scorer: one layer's heads summed, question-weighted phrase scores."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import phrase
from .base import QuestionRows, Scorer
from .phrase import Columns


@dataclass
class KeptWeights:
    """One question block's row weights, taken at the first step of a read and kept for the
    rest of it (as the authors compute them once): :class:`LayerSum`'s state."""

    weights: torch.Tensor | None = None


@dataclass(frozen=True)
class LayerSum(Scorer):
    """Heads of ``layer`` summed; each row weighted by its mass on the question, the weights
    taken at the first step of a read and kept (as the authors compute them once)."""

    layer: int
    phrase_token_num: int = 8
    use_question_weight: bool = True

    def layers(self) -> list[int]:
        return [self.layer]

    def start(self) -> object:
        return KeptWeights()

    def score(self, q: QuestionRows) -> torch.Tensor:
        summed = q.rows[self.layer].sum(dim=0)  # (Q, K)
        return self.summed_scores(summed, q.query_cols, q.context_cols, q.state_as(KeptWeights))

    def summed_scores(
        self, summed: torch.Tensor, query_cols: slice, context_cols: Columns, kept: KeptWeights
    ) -> torch.Tensor:
        """Phrase scores of head-summed rows, their question weights taken once into ``kept``."""
        if kept.weights is None and self.use_question_weight:
            kept.weights = phrase.question_weights(summed, query_cols)
        return phrase.token_scores(summed, context_cols, self.phrase_token_num, kept.weights)
