"""The two kinds of scoring objects, after NVIDIA kvpress's presses.

A :class:`Scorer` turns one question's captured attention rows into one score per context
token (the paper's layer sum, chosen heads, the null-question difference); a :class:`Term`
adjusts those scores (the link term, the exact-match prior). Both are frozen dataclasses of
their own parameters; what changes during a read lives in per-question state the read loop
keeps for them (a scorer's :meth:`Scorer.start`, a term's :meth:`Term.prepare`), so one object
serves every read and every thread.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch

from .phrase import Columns

S = TypeVar("S")


@dataclass(frozen=True)
class QuestionRows:
    """What one question's block captured in one step."""

    rows: Mapping[int, torch.Tensor]
    """Layer -> (H, Q, K) attention of the block's question-to-end rows over the step input."""
    query_cols: slice
    """The block's question-to-end columns (for question weights)."""
    context_cols: Columns
    """The context columns this question sees, in reading order."""
    state: object = None
    """The scorer's state for this question across the steps of one read (what its
    :meth:`Scorer.start` made); ``None`` where rows are scored once, outside a read."""
    companion: QuestionRows | None = None
    """The rows of the companion block (:attr:`Scorer.companion`), same context."""
    owner: torch.Tensor | None = None
    """(N,) each context token's sentence (a position among the context's sentences), where
    the caller knows the sentences (the read loop does), for sentence-level scorers."""

    def state_as(self, kind: type[S]) -> S:
        """:attr:`state` as the ``kind`` its scorer keeps, or a fresh one where none is kept
        (scoring once then starts from nothing, as the first step of a read does)."""
        if self.state is None:
            return kind()
        if not isinstance(self.state, kind):
            raise TypeError(f"expected {kind.__name__} state, got {type(self.state).__name__}")
        return self.state


@dataclass(frozen=True)
class TermStep:
    """What a term sees of one question's step, besides the scores."""

    owner: torch.Tensor
    """(N,) each context token's sentence, as a position in ``sentences``."""
    sentences: list[int]
    """The document's sentence ids of the context, in reading order."""
    positions: np.ndarray
    """(N,) each context token's position in the document's token ids."""
    link_mass: torch.Tensor | None
    """(N, len(sentences)) the link head's attention of each token on each sentence."""


class Scorer(ABC):
    """Captured rows of one question -> one score per context token (higher: keep)."""

    companion: str | None = None
    """A second question read beside each question over the same context (e.g. a
    content-free one), whose rows arrive as :attr:`QuestionRows.companion`."""

    def start(self) -> object:
        """A fresh state for one question's read, handed back as :attr:`QuestionRows.state`
        at each of its steps (``None``: the scorer keeps nothing between steps)."""
        return None

    @abstractmethod
    def layers(self) -> list[int]:
        """The layers whose rows :meth:`score` reads (reading stops after the deepest)."""

    @abstractmethod
    def score(self, q: QuestionRows) -> torch.Tensor:
        """(N,) scores of the context tokens of ``q.context_cols``."""


class Term(ABC):
    """An additive adjustment of a scorer's token scores."""

    def link(self) -> tuple[int, int] | None:
        """The ``(layer, head)`` whose per-sentence attention this term needs, if any."""
        return None

    def prepare(
        self, tokenizer: Any, doc_ids: np.ndarray, offsets: np.ndarray, question: list[int]
    ) -> Any:
        """Per-read state from the whole document and the question (before reading)."""
        return None

    @abstractmethod
    def adjust(self, scores: torch.Tensor, step: TermStep, state: Any) -> torch.Tensor:
        """The adjusted (N,) scores; ``state`` is what :meth:`prepare` returned."""


@dataclass(frozen=True)
class PreparedTerm:
    """A term with the state its :meth:`Term.prepare` made for one question's read, held
    together so that a state only ever meets its own term."""

    term: Term
    state: Any

    def adjust(self, scores: torch.Tensor, step: TermStep) -> torch.Tensor:
        return self.term.adjust(scores, step, self.state)
