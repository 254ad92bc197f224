"""Query-focused heads (options ``heads`` + ``null_question``), after QRHead (Zhang et al.,
2025) and In-Context Re-ranking (Chen et al., 2024).

A layer's summed heads rank the gold sentence of real, paraphrased questions poorly
(SmolLM2-135M, layer 18: chunk-local MRR 0.39 on real questions); a few single heads do far
better once two things are taken out of their attention:
- what any question would attend to (sinks, headers, the first words after a break): each
  head's attention of the question block minus that of a content-free question (``"N/A"``,
  read in the same step as a companion block), both averaged over their rows;
- stray tokens the null question attends to far more than the question: differences below
  ``mean - cut * std`` of the context are set to zero, lest one such token sink its sentence.
Scores are then whole-sentence: the sum over a sentence's tokens divided by the square root
of its length (a long sentence earns more than a short one, less than in proportion), every
token of the sentence getting its sentence's score, so the cache keeps whole sentences by
rank. The chosen heads are added as they are (each is attention mass, on one scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import QuestionRows, Scorer
from .heads import Head, layers
from .phrase import Columns


@dataclass(frozen=True)
class FocusedHeads(Scorer):
    """The chosen heads' question-minus-null attention, cut below ``mean - cut * std``,
    summed over heads and over each sentence, divided by ``sqrt(sentence tokens)``."""

    heads: tuple[Head, ...]
    null_question: str = "N/A"
    cut: float = 2.0

    @property
    def companion(self) -> str:  # type: ignore[override]
        return self.null_question

    def layers(self) -> list[int]:
        return layers(self.heads)

    def score(self, q: QuestionRows) -> torch.Tensor:
        assert q.companion is not None, "the read loop reads the companion block"
        total: torch.Tensor | None = None
        for layer, head in self.heads:
            d = head_difference(q, q.companion, layer, head)
            d = cut_below(d, self.cut)
            total = d if total is None else total + d
        assert total is not None
        if q.owner is None:
            return total
        return sentence_scores(total, q.owner)


def head_difference(q: QuestionRows, null: QuestionRows, layer: int, head: int) -> torch.Tensor:
    """(N,) the question's mean attention row on the context minus the null question's."""
    return difference(q.rows[layer][head], null.rows[layer][head], q.context_cols)


def difference(rows: torch.Tensor, null_rows: torch.Tensor, context: Columns) -> torch.Tensor:
    """(..., N) the mean of ``rows`` (..., Q, K) over Q on the context columns, minus that of
    ``null_rows`` (..., Q', K)."""
    own = rows[..., context].float().mean(dim=-2)
    return own - null_rows[..., context].float().mean(dim=-2)


def cut_below(d: torch.Tensor, cut: float) -> torch.Tensor:
    """``d`` with values under ``mean - cut * std`` (along the last dim) set to zero."""
    if d.shape[-1] < 2:
        return d
    bar = d.mean(dim=-1, keepdim=True) - cut * d.std(dim=-1, keepdim=True)
    return torch.where(d < bar, torch.zeros_like(d), d)


def per_sentence(token_scores: torch.Tensor, owner: torch.Tensor) -> torch.Tensor:
    """(..., S) each sentence's sum of ``token_scores`` (..., N) / sqrt(its tokens)."""
    n = int(owner.max()) + 1 if owner.numel() else 0
    shape = (*token_scores.shape[:-1], n)
    sums = torch.zeros(shape, dtype=token_scores.dtype).index_add_(-1, owner, token_scores)
    sizes = torch.bincount(owner, minlength=n).to(token_scores.dtype)
    return sums / sizes.clamp_min(1).sqrt()


def sentence_scores(token_scores: torch.Tensor, owner: torch.Tensor) -> torch.Tensor:
    """Each token's :func:`per_sentence` score."""
    return per_sentence(token_scores, owner)[..., owner]
