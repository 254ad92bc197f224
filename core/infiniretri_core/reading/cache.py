"""The cache update: a step's token scores -> the sentences kept, within the token bound."""

from __future__ import annotations

import numpy as np
import torch

from ..scoring.phrase import sentence_peaks, top_tokens


def best_within(
    items: np.ndarray, lengths: np.ndarray, peaks: np.ndarray, budget: int | None
) -> np.ndarray:
    """Highest-peak ``items`` whose lengths fit ``budget``, returned in their original order
    (ties: the earlier item first)."""
    if budget is None or int(lengths[items].sum()) <= budget:
        return items
    order = items[np.argsort(-peaks[items], kind="stable")]
    chosen, total = [], 0
    for i in order:
        n = int(lengths[i])
        if total + n <= budget:
            chosen.append(i)
            total += n
    return np.sort(np.asarray(chosen, dtype=items.dtype))


def owner(lengths: np.ndarray) -> torch.Tensor:
    """Each token's position among the sentences of ``lengths``."""
    return torch.from_numpy(np.repeat(np.arange(len(lengths)), lengths))


def keep(
    scores: torch.Tensor,
    token_owner: torch.Tensor,
    lengths: np.ndarray,
    top_k: int,
    max_tokens: int | None,
    best: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the sentences holding a top-K token (best first out when over
    ``max_tokens``), in context order, and their peak token scores.

    With ``best`` (each sentence's best peak in earlier steps, ``-inf`` if none), sentences
    are ranked by the higher of that and this step's peak, the best of them kept until they
    hold ``top_k`` tokens (a sentence that once ranked high stays until better ones fill the
    cache), and that rank is their score."""
    peaks = sentence_peaks(scores, token_owner, len(lengths)).cpu().numpy()
    if best is None:
        hit = np.unique(token_owner[top_tokens(scores, top_k)].cpu().numpy())
        hit = best_within(hit, lengths, peaks, max_tokens)
        return hit, peaks[hit]
    rank = np.maximum(peaks, best)
    order = np.argsort(-rank, kind="stable")
    held = np.cumsum(lengths[order])
    hit = np.sort(order[: int(np.searchsorted(held, top_k)) + 1])
    hit = best_within(hit, lengths, rank, max_tokens)
    return hit, rank[hit]
