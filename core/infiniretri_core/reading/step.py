"""One step's model input: ``[prefix][context][block 1]...[block n]``, and where things are.

Each block ``[middle][question][suffix]`` attends to the prefix, the context columns it may
see and causally to itself, never to another block (a 4D mask); its position ids start right
after the context, so its distance to the chunk is the one a single read gives. One block
that sees the whole context needs no mask: the input is the plain prompt and SDPA takes its
fast causal path.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..prompt import PromptParts
from ..scoring.phrase import Columns


@dataclass(frozen=True)
class Block:
    parts: PromptParts
    cols: Columns
    """The input columns this block may see (a slice: the whole context)."""


@dataclass(frozen=True)
class StepInput:
    ids: torch.Tensor
    """(1, T) input ids."""
    mask: torch.Tensor | None
    """(1, 1, T, T) bool, or ``None`` for plain causal attention."""
    positions: torch.Tensor | None
    """(1, T) position ids, or ``None`` for ``0..T-1``."""
    spans: list[tuple[int, int]]
    """Per block, its query rows: question start to block end."""
    context: slice
    """The context's columns."""

    @property
    def query_start(self) -> int:
        return self.spans[0][0]


def build(prefix: list[int], context: Sequence[int], blocks: Sequence[Block]) -> StepInput:
    """The input of one step (see the module docstring)."""
    ctx = slice(len(prefix), len(prefix) + len(context))
    if len(blocks) == 1 and isinstance(blocks[0].cols, slice) and blocks[0].cols == ctx:
        ids, _, query_start = blocks[0].parts.build(context)
        return StepInput(ids, None, None, [(query_start, ids.shape[1])], ctx)
    tokens = [*prefix, *context]
    spans: list[tuple[int, int, int]] = []  # block start, question start, block end
    for b in blocks:
        b0 = len(tokens)
        tokens.extend([*b.parts.middle, *b.parts.question, *b.parts.suffix])
        spans.append((b0, b0 + len(b.parts.middle), len(tokens)))
    total = len(tokens)
    mask = torch.zeros(total, total, dtype=torch.bool)
    mask[: ctx.stop, : ctx.stop] = torch.ones(ctx.stop, ctx.stop, dtype=torch.bool).tril()
    positions = torch.arange(total)
    prefix_cols = torch.arange(len(prefix))
    for (b0, _, b1), b in zip(spans, blocks, strict=True):
        size = b1 - b0
        mask[b0:b1, prefix_cols] = True
        mask[b0:b1, b.cols] = True
        mask[b0:b1, b0:b1] = torch.ones(size, size, dtype=torch.bool).tril()
        positions[b0:b1] = ctx.stop + torch.arange(size)
    return StepInput(
        torch.tensor([tokens], dtype=torch.long),
        mask[None, None],
        positions[None],
        [(q0, b1) for _, q0, b1 in spans],
        ctx,
    )


def columns(col_start: np.ndarray, lengths: np.ndarray, slots: Sequence[int]) -> torch.Tensor:
    """The input columns of the context sentences at ``slots``, in that order."""
    if not len(slots):
        return torch.zeros(0, dtype=torch.long)
    pieces = [np.arange(col_start[s], col_start[s] + lengths[s]) for s in slots]
    return torch.from_numpy(np.concatenate(pieces).astype(np.int64))


def groups(
    caches: Sequence[Sequence[Hashable]],
    lengths: Any,
    fixed: int,
    blocks_len: Sequence[int],
    limit: int | None,
) -> list[list[int]]:
    """Questions packed in order into forwards whose input fits ``limit`` tokens (the model's
    positions): usually one; more only when the caches hardly overlap and are large.
    ``lengths[item]`` is a cached item's tokens (items shared by caches count once)."""
    found: list[list[int]] = [[]]
    seen: set[Hashable] = set()
    size = fixed
    for j, cache in enumerate(caches):
        extra = blocks_len[j] + sum(int(lengths[x]) for x in cache if x not in seen)
        if limit is not None and found[-1] and size + extra > limit:
            found.append([])
            seen, size = set(), fixed
            extra = blocks_len[j] + sum(int(lengths[x]) for x in cache)
        found[-1].append(j)
        seen.update(cache)
        size += extra
    return found
