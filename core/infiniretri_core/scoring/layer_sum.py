"""The paper's scorer: one layer's heads summed, question-weighted phrase scores."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import phrase
from .base import QuestionRows, Scorer


@dataclass(frozen=True)
class LayerSum(Scorer):
    """Heads of ``layer`` summed; each row weighted by its mass on the question, the weights
    taken at the first step of a read and kept (as the authors compute them once)."""

    layer: int
    phrase_token_num: int = 8
    use_question_weight: bool = True

    def layers(self) -> list[int]:
        return [self.layer]

    def score(self, q: QuestionRows) -> torch.Tensor:
        summed = q.rows[self.layer].sum(dim=0)  # (Q, K)
        return self.summed_scores(summed, q, "weights")

    def summed_scores(self, summed: torch.Tensor, q: QuestionRows, key: str) -> torch.Tensor:
        """Phrase scores of head-summed rows, the weights kept in ``q.memo[key]``."""
        weights = q.memo.get(key)
        if weights is None and self.use_question_weight:
            weights = q.memo[key] = phrase.question_weights(summed, q.query_cols)
        return phrase.token_scores(summed, q.context_cols, self.phrase_token_num, weights)
