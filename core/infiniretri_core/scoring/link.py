"""Link scoring (option ``link_head``): carry the question's attention one hop further.

Beyond the paper. A two-hop question ("where did the night porter of the museum grow up?")
needs a bridge sentence that shares its words ("The night porter of the museum is a person
named Anselm Quist.") and an answer sentence that shares none ("Anselm Quist grew up in
Ystad."). The question's attention finds the bridge and carries it in the cache, but ranks
the answer sentence like any essay sentence (SmolLM2-135M, layer 18: 14th-26th of ~50 in
its chunk). Some heads, though, make a name attend to its earlier mention: by one such head's
attention from each context token to the other context sentences, weighted by how well the
question scored those sentences, the answer sentence ranks first in its chunk (heads 6 and 7
of SmolLM2's layer 18: 7 and 8 of 8 two-hop cases; the other heads far less).

A token's link score is ``sum_k A[t, k] * peak(sentence(k))`` over the context columns
``k`` outside ``t``'s own sentence, ``peak`` being the question's sentence peaks of the same
step; ``score = question_score + link_weight * link_score``. The link head is read at the
scoring layer, so no other layer runs; its rows are summed per sentence as they are made
(``probe.LinkSpec``). Causal attention links only forward: an answer sentence read *before*
its bridge is helped only by a second pass (option ``passes``), which starts from a cache
that holds the bridge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from . import phrase
from .base import Term, TermStep


def link_scores(mass: torch.Tensor, scores: torch.Tensor, owner: torch.Tensor) -> torch.Tensor:
    """Link score per context token.

    ``mass`` (N, S): the link head's attention of each context token on each of the S
    context sentences (:class:`probe.LinkSpec`); ``scores`` (N,): the question's token
    scores; ``owner`` (N,): each token's sentence.
    """
    peaks = phrase.sentence_peaks(scores.float(), owner, mass.shape[1]).clamp_min(0)
    mass = mass.clone()
    mass[torch.arange(mass.shape[0]), owner] = 0.0  # not its own sentence
    return mass @ peaks


def sentence_mass(rows: torch.Tensor, owner: torch.Tensor, n: int) -> torch.Tensor:
    """(N, N) attention of the context over itself -> (N, n) summed per sentence."""
    out = torch.zeros(rows.shape[0], n, dtype=torch.float32)
    return out.index_add_(1, owner, rows.float())


@dataclass(frozen=True)
class LinkTerm(Term):
    """``score + weight * link_score`` through ``head`` of ``layer`` (the scoring layer)."""

    layer: int
    head: int
    weight: float = 0.5

    def link(self) -> tuple[int, int]:
        return self.layer, self.head

    def adjust(self, scores: torch.Tensor, step: TermStep, state: Any) -> torch.Tensor:
        assert step.link_mass is not None, "the read loop captures the link head"
        return scores + self.weight * link_scores(step.link_mass, scores, step.owner)
