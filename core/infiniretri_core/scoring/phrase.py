"""Attention rows -> token scores -> top tokens: the paper's steps 5-10, written once.

Faithful to the authors' ``compute_phrase_scores``: heads summed, a box filter of width
``phrase_token_num`` along the context ("same" alignment as scipy's ``convolve2d``), rows
weighted by the square of their attention mass on the question, summed, top-K tokens.
Every scorer, calibration and benchmark calls these; none writes them again.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

Columns = slice | torch.Tensor
"""Input columns: a contiguous range, or the (ordered) columns a question may see."""


def box_filter(rows: torch.Tensor, width: int) -> torch.Tensor:
    """Sum over a window of ``width`` tokens, centred as ``convolve2d(mode="same")``."""
    if width <= 1:
        return rows
    padded = F.pad(rows.unsqueeze(1), (width // 2, (width - 1) // 2))
    kernel = torch.ones(1, 1, width, dtype=rows.dtype, device=rows.device)
    return F.conv1d(padded, kernel).squeeze(1)


def question_weights(rows: torch.Tensor, query_cols: slice) -> torch.Tensor:
    """Weight of each query row: its attention mass on the question-to-end columns."""
    return rows[:, query_cols].sum(dim=1)


def token_scores(
    rows: torch.Tensor,
    context: Columns,
    phrase_token_num: int,
    weights: torch.Tensor | None,
) -> torch.Tensor:
    """One score per context token from head-summed rows ``(Q, K)``.

    ``weights`` (Q,) multiply each row twice, as the authors' code does; ``None`` = ones.
    The context columns are gathered first, so the filter sees them side by side.
    """
    smoothed = box_filter(rows[:, context], phrase_token_num)
    if weights is not None:
        smoothed = smoothed * (weights * weights).unsqueeze(1)
    return smoothed.sum(dim=0)


def top_tokens(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the ``k`` highest scores (all of them if there are fewer)."""
    k = min(k, scores.numel())
    return torch.topk(scores, k, sorted=False).indices


def sentence_peaks(scores: torch.Tensor, token_sentence: torch.Tensor, n: int) -> torch.Tensor:
    """Highest token score inside each of ``n`` sentences (token -> sentence position map)."""
    peaks = torch.full((n,), float("-inf"), dtype=scores.dtype, device=scores.device)
    return peaks.scatter_reduce(0, token_sentence, scores, reduce="amax")


def rank_of(peaks: torch.Tensor, at: int) -> int:
    """Rank (1 = first) of sentence ``at`` among ``peaks``; ties count in its favour."""
    return int((peaks > peaks[at]).sum()) + 1
