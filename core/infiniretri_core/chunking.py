"""Sentences -> chunks: greedy packing of whole sentences, no overlap (as the authors)."""

from __future__ import annotations

from collections.abc import Sequence

from .errors import ConfigError


def pack(lengths: Sequence[int], budget: int) -> list[range]:
    """Ranges of sentence indices whose token lengths sum to at most ``budget`` each."""
    chunks: list[range] = []
    start, total = 0, 0
    for i, n in enumerate(lengths):
        if n > budget:
            raise ConfigError(f"sentence {i} has {n} tokens, more than the chunk budget {budget}")
        if total + n > budget and i > start:
            chunks.append(range(start, i))
            start, total = i, 0
        total += n
    if start < len(lengths):
        chunks.append(range(start, len(lengths)))
    return chunks
