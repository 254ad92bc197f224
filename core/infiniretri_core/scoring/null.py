"""Null-question calibration (option ``null_question``), after QRHead (Zhang et al., 2025).

Some text draws a layer's attention whatever the question: essay headers ("November 2005"),
the first words after a break, attention sinks. On a million tokens of essays such fragments
pushed the needle out of the cache (step 734 of 991: the needle's peak 0.54, the header's
8.8). The same step is read with a second, content-free question block (e.g. ``"N/A"``) that
sees the same context under a 4D mask, at the cost of its few tokens; a token's score is what
the real question gives it minus what the null question gives it, each normalised by its
rows' total weight, so only attention the question itself causes counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .base import QuestionRows
from .layer_sum import KeptWeights, LayerSum


@dataclass(frozen=True)
class NullWeights:
    """:class:`NullDifference`'s state: the kept weights of the question block and those of
    the null block, each taken at the first step of a read."""

    question: KeptWeights = field(default_factory=KeptWeights)
    null: KeptWeights = field(default_factory=KeptWeights)


@dataclass(frozen=True)
class NullDifference(LayerSum):
    """The layer sum of the question minus that of ``null_question``, per unit row weight."""

    null_question: str = "N/A"

    @property
    def companion(self) -> str:  # type: ignore[override]
        return self.null_question

    def start(self) -> NullWeights:
        return NullWeights()

    def score(self, q: QuestionRows) -> torch.Tensor:
        assert q.companion is not None, "the read loop reads the companion block"
        kept = q.state_as(NullWeights)
        rows = q.rows[self.layer].sum(dim=0)
        null_rows = q.companion.rows[self.layer].sum(dim=0)
        own = self.summed_scores(rows, q.query_cols, q.context_cols, kept.question)
        null = self.summed_scores(null_rows, q.companion.query_cols, q.context_cols, kept.null)
        return own / _mass(kept.question.weights, rows) - null / _mass(kept.null.weights, null_rows)


def _mass(weights: torch.Tensor | None, rows: torch.Tensor) -> torch.Tensor:
    if weights is None:
        return torch.tensor(float(rows.shape[0]))
    return (weights * weights).sum().clamp_min(1e-12)
