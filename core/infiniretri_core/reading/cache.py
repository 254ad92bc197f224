"""The cache update: a step's token scores -> the sentences kept, within the token bound."""

from __future__ import annotations

from collections.abc import Collection

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
    step_top_k: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the sentences holding a top-K token (best first out when over
    ``max_tokens``), in context order, and their peak token scores.

    With ``best`` (each sentence's best peak in earlier steps, ``-inf`` if none), sentences
    are ranked by the higher of that and this step's peak, the best of them kept until they
    hold ``top_k`` tokens (a sentence that once ranked high stays until better ones fill the
    cache), and that rank is their score; with ``step_top_k`` too, the sentences holding this
    step's own top ``step_top_k`` tokens join them."""
    peaks = sentence_peaks(scores, token_owner, len(lengths)).cpu().numpy()
    if best is None:
        hit = _holding_top(scores, token_owner, top_k)
        hit = best_within(hit, lengths, peaks, max_tokens)
        return hit, peaks[hit]
    rank = best_ranks(peaks, best)
    order = np.argsort(-rank, kind="stable")
    held = np.cumsum(lengths[order])
    hit = np.sort(order[: int(np.searchsorted(held, top_k)) + 1])
    if step_top_k is not None:
        hit = np.union1d(hit, _holding_top(scores, token_owner, step_top_k))
    hit = best_within(hit, lengths, rank, max_tokens)
    return hit, rank[hit]


def _holding_top(scores: torch.Tensor, token_owner: torch.Tensor, k: int) -> np.ndarray:
    """The sentences holding one of the ``k`` highest token scores (the paper's rule)."""
    return np.unique(token_owner[top_tokens(scores, k)].cpu().numpy())


def best_ranks(peaks: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Each sentence's rank under ``keep="best"``: its best peak, this step's included."""
    return np.maximum(peaks, best)


def left_out(
    scores: torch.Tensor,
    token_owner: torch.Tensor,
    view: list[int],
    hit: np.ndarray,
    best: np.ndarray,
) -> dict[int, float]:
    """The view's sentences a step did not cache, each by its best peak (for the pool)."""
    rank = best_ranks(sentence_peaks(scores, token_owner, len(view)).cpu().numpy(), best)
    return {view[i]: float(rank[i]) for i in np.setdiff1d(np.arange(len(view)), hit)}


def pooled(
    pool: dict[int, float],
    left: dict[int, float],
    cached: Collection[int],
    lengths: np.ndarray,
    budget: int,
) -> dict[int, float]:
    """The pool after a step: of the sentences it held and those the step left out of the
    cache (each by its best score), the best that fit ``budget`` tokens, none cached.

    Nothing in it is read again, so it costs no step anything; it only remembers what a
    larger cache would have held, for the ranker (or the writer) at the end."""
    merged = dict(pool)
    for sid, score in left.items():
        merged[sid] = max(score, merged.get(sid, -np.inf))
    for sid in cached:
        merged.pop(sid, None)
    if not merged:
        return {}
    ids = np.fromiter(merged, dtype=np.int64, count=len(merged))
    scores = np.fromiter(merged.values(), dtype=np.float64, count=len(merged))
    chosen = best_within(np.arange(len(ids)), lengths[ids], scores, budget)
    return {int(ids[k]): float(scores[k]) for k in chosen}
