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

import torch

from . import probe, scoring
from .prompt import PromptParts


def step_rows(
    model: torch.nn.Module,
    layer: int,
    parts: PromptParts,
    null_parts: PromptParts,
    context: list[int],
) -> tuple[torch.Tensor, torch.Tensor, slice, slice, slice, int]:
    """Head-summed rows of the question and of the null question over one step.

    Returns ``(rows, null_rows, ctx, query_cols, null_cols, tokens)``: ``ctx`` the context
    columns, ``*_cols`` each block's question-to-end columns (for the question weights),
    ``tokens`` the step's length.
    """
    from .multi import _step_input

    ctx = slice(len(parts.prefix), len(parts.prefix) + len(context))
    cols = torch.arange(ctx.start, ctx.stop)
    ids, mask, positions, blocks = _step_input(
        parts.prefix, context, [parts, null_parts], [cols, cols]
    )
    (q0, q1), (n0, n1) = blocks
    rows = probe.attention_rows(model, ids, q0, [layer], mask, positions)[layer][0].sum(dim=0)
    return rows[: q1 - q0], rows[n0 - q0 : n1 - q0], ctx, slice(q0, q1), slice(n0, n1), ids.shape[1]


def calibrated_scores(
    rows: torch.Tensor,
    null_rows: torch.Tensor,
    ctx: slice,
    phrase_token_num: int,
    weights: torch.Tensor | None,
    null_weights: torch.Tensor | None,
) -> torch.Tensor:
    """The question's phrase scores minus the null question's, each per unit of row weight."""
    own = scoring.token_scores(rows, ctx, phrase_token_num, weights)
    null = scoring.token_scores(null_rows, ctx, phrase_token_num, null_weights)
    return own / _mass(weights, rows) - null / _mass(null_weights, null_rows)


def _mass(weights: torch.Tensor | None, rows: torch.Tensor) -> torch.Tensor:
    if weights is None:
        return torch.tensor(float(rows.shape[0]))
    return (weights * weights).sum().clamp_min(1e-12)
