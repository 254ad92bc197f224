"""What an observer of a read sees (``Reader.read(..., on_step=...)``): one event per step.

For tools that study a read from outside (``benchmarks/local_rank.py``: the step each gold
sentence was read, entered the cache, and last stayed), so that none has to wrap the loop's
private methods. Built only when an observer is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..scoring.phrase import sentence_peaks


@dataclass(frozen=True)
class QuestionStep:
    """One question's share of a step; sentences are document sentence ids."""

    before: tuple[int, ...]
    """Its cache when the step began (in the order the loop holds it)."""
    seen: tuple[int, ...]
    """The sentences it scored: its cache, then the chunk's sentences it did not hold."""
    scores: tuple[float, ...]
    """The step's peak token score of each of ``seen``."""
    after: tuple[int, ...]
    """Its cache when the step ended."""
    peaks: tuple[float, ...]
    """The score that kept each of ``after`` (its step peak; with ``keep="best"`` the best
    peak it has had so far)."""


@dataclass(frozen=True)
class StepEvent:
    """One step of a read: one chunk read with every question's cache in front of it."""

    index: int
    """The step's place in the read, from 0 (a later pass continues the count)."""
    pass_index: int
    """The pass it belongs to, from 0."""
    chunk: tuple[int, ...]
    """The sentences of the chunk read in the step, in document order."""
    tokens: int
    """Tokens that went through the model in the step (all its forwards)."""
    questions: tuple[QuestionStep, ...]
    """Per question, in the order the read was given them."""


StepCallback = Callable[[StepEvent], None]


def question_step(
    before: Sequence[int],
    seen: Sequence[int],
    token_scores: torch.Tensor,
    token_owner: torch.Tensor,
    after: Sequence[int],
    peaks: np.ndarray,
) -> QuestionStep:
    """A question's share of a step from what the loop holds (``token_owner``: each scored
    token's position in ``seen``)."""
    seen_peaks = sentence_peaks(token_scores, token_owner, len(seen)).cpu()
    return QuestionStep(
        tuple(before),
        tuple(seen),
        tuple(seen_peaks.tolist()),
        tuple(after),
        tuple(float(p) for p in peaks),
    )
