"""Head-level scoring (option ``heads``), beyond the paper's sum over a layer's heads.

The paper sums all heads of one layer. On SmolLM2-135M no layer sum ranks both sentences of
a two-hop question well: layer 18's sum ranks the bridge sentence first (mean reciprocal rank
0.94-1.0) but the answer sentence about the bridge entity poorly (0.10-0.14), while single
heads rank that answer sentence better (24.4: 0.33; 24.4 with 15.6: 0.52, held out;
``benchmarks/head_search.py`` measures every head on synthetic two-hop and needle probes and
picks a set greedily). Each chosen head's phrase scores are normalised to unit sum before
they are added, so a head with sharper attention does not drown the others; each head's
question weights are taken from its own rows at every step. Reading runs up to the deepest
chosen layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from ..errors import ConfigError
from . import phrase
from .base import QuestionRows, Scorer

Head = tuple[int, int]


def normalise(heads: object) -> tuple[Head, ...] | Literal["auto"] | None:
    """``[[24, 4], (15, 6)]`` or ``"24.4,15.6"`` -> ``((24, 4), (15, 6))``; checks the shape."""
    if heads is None or heads == "auto":
        return heads
    if isinstance(heads, str):
        try:
            heads = [tuple(int(x) for x in p.split(".")) for p in heads.split(",") if p.strip()]
        except ValueError:
            raise ConfigError(
                f"heads must look like '24.4,15.6' (layer.head), got {heads!r}"
            ) from None
    if not isinstance(heads, Sequence) or not heads:
        raise ConfigError(f"heads must be a non-empty list of (layer, head) pairs, got {heads!r}")
    out = []
    for pair in heads:
        if (
            not isinstance(pair, Sequence)
            or isinstance(pair, str)
            or len(pair) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in pair)
        ):
            raise ConfigError(f"each head must be a (layer, head) pair of ints >= 0, got {pair!r}")
        out.append((int(pair[0]), int(pair[1])))
    if len(set(out)) != len(out):
        raise ConfigError(f"heads has duplicates: {heads!r}")
    return tuple(out)


def check(heads: tuple[Head, ...], num_layers: int, num_heads: int) -> None:
    for layer, head in heads:
        if layer >= num_layers or head >= num_heads:
            raise ConfigError(
                f"head ({layer}, {head}) does not exist: the model has {num_layers} layers "
                f"of {num_heads} heads"
            )


def layers(heads: tuple[Head, ...]) -> list[int]:
    return sorted({layer for layer, _ in heads})


@dataclass(frozen=True)
class HeadSum(Scorer):
    """The chosen heads' phrase scores, each normalised to unit sum, added; each head's
    question weights taken from its own rows at every step."""

    heads: tuple[Head, ...]
    phrase_token_num: int = 8
    use_question_weight: bool = True

    def layers(self) -> list[int]:
        return layers(self.heads)

    def score(self, q: QuestionRows) -> torch.Tensor:
        total: torch.Tensor | None = None
        for layer, head in self.heads:
            r = q.rows[layer][head]
            weights = phrase.question_weights(r, q.query_cols) if self.use_question_weight else None
            s = phrase.token_scores(r, q.context_cols, self.phrase_token_num, weights)
            s = s / s.sum().clamp_min(1e-12)
            total = s if total is None else total + s
        assert total is not None
        return total
