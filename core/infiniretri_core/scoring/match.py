"""The exact-match prior as a term (option ``match_weight``; the prior itself: ``lexical``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import lexical
from .base import Term, TermStep


@dataclass(frozen=True)
class MatchTerm(Term):
    """``score + weight * max(score) * prior``: the prior in units of the step's best score."""

    weight: float
    max_n: int = 4
    max_share: float = 0.02

    def prepare(
        self, tokenizer: Any, doc_ids: np.ndarray, offsets: np.ndarray, question: list[int]
    ) -> torch.Tensor:
        prior = lexical.question_prior(
            tokenizer, doc_ids, offsets, question, self.max_n, self.max_share
        )
        return torch.from_numpy(prior)

    def adjust(self, scores: torch.Tensor, step: TermStep, state: Any) -> torch.Tensor:
        prior: torch.Tensor = state[step.positions]
        return scores + self.weight * scores.max() * prior.to(scores.dtype)
