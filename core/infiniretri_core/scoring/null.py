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

from dataclasses import dataclass

import torch

from .base import QuestionRows
from .layer_sum import LayerSum


@dataclass(frozen=True)
class NullDifference(LayerSum):
    """The layer sum of the question minus that of ``null_question``, per unit row weight."""

    null_question: str = "N/A"

    @property
    def companion(self) -> str:  # type: ignore[override]
        return self.null_question

    def score(self, q: QuestionRows) -> torch.Tensor:
        assert q.companion is not None, "the read loop reads the companion block"
        rows = q.rows[self.layer].sum(dim=0)
        null_rows = q.companion.rows[self.layer].sum(dim=0)
        own = self.summed_scores(rows, q, "weights")
        null_q = QuestionRows(q.companion.rows, q.companion.query_cols, q.context_cols, q.memo)
        null = self.summed_scores(null_rows, null_q, "null_weights")
        return own / _mass(q.memo.get("weights"), rows) - null / _mass(
            q.memo.get("null_weights"), null_rows
        )


def _mass(weights: torch.Tensor | None, rows: torch.Tensor) -> torch.Tensor:
    if weights is None:
        return torch.tensor(float(rows.shape[0]))
    return (weights * weights).sum().clamp_min(1e-12)
