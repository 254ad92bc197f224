"""One layer's attention rows for the query positions, captured without the slow path.

No ``output_attentions=True`` and no eager attention: a function registered in
transformers' ``AttentionInterface`` delegates every layer to SDPA, and on the layers being
probed it also computes ``softmax(q_rows k^T)`` for the query rows only (O(Q*L), not O(L^2)).
After the last probed layer it raises, so later layers and the LM head never run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from .errors import ModelError
from .families import (
    attention_implementation,
    check_capturable,
    decoder_layers,
    step_attention_mask,
)

ATTN_IMPLEMENTATION = "infiniretri_sdpa"

PAD_MULTIPLE = 64
"""Step inputs are right-padded to a multiple of this. Causal attention keeps padding out of
every real token's computation, and the kernels meet a few dozen shapes instead of one per
step: CPU kernels keep state per shape, so unpadded reads grew resident memory with the
document's length (bf16 on AMX: 742 MB at 2k tokens, 1,038 MB at 32k)."""


LINK = -1
"""Key of the link head's grouped rows in :func:`attention_rows`' result."""

ROW_BLOCK = 256
"""Rows of the link head computed at a time: temporaries of one size, a few MB, instead of
context-by-context ones of a new size every step (which fragmented the heap: +60% resident
memory from 8k to 128k tokens)."""


@dataclass(frozen=True)
class LinkSpec:
    """One head's attention of the input rows ``start:stop``, summed per column group."""

    layer: int
    head: int
    start: int
    stop: int
    groups: torch.Tensor
    """(T,) int64: the group (sentence) of each input column; ``n_groups`` for none."""
    n_groups: int


class _StopForward(Exception):
    """Raised after the last probed layer: nothing above it is needed while reading."""


@dataclass
class _Capture:
    layers: frozenset[int]
    query_start: int
    stop_after: int | None
    rows: dict[int, torch.Tensor] = field(default_factory=dict)
    link: LinkSpec | None = None
    link_rows: torch.Tensor | None = None


_ACTIVE: ContextVar[_Capture | None] = ContextVar("infiniretri_capture", default=None)


def _attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    cap = _ACTIVE.get()
    idx = getattr(module, "layer_idx", None)
    if cap is not None and idx in cap.layers:
        cap.rows[idx] = query_rows(
            module, query, key, attention_mask, scaling, cap.query_start, kwargs
        )
        if cap.link is not None and cap.link.layer == idx:
            cap.link_rows = _grouped_rows(
                module, query, key, attention_mask, scaling, kwargs, cap.link
            )
        if idx == cap.stop_after:
            raise _StopForward
    return sdpa_attention_forward(
        module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
    )


def query_rows(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None,
    query_start: int,
    kwargs: dict[str, Any],
    head: int | None = None,
) -> torch.Tensor:
    """Attention probabilities (B, H, Q, K) in fp32 of rows ``query_start:`` over all keys
    (of one ``head`` only, H = 1, if given)."""
    groups = getattr(module, "num_key_value_groups", 1)
    if head is not None:
        query = query[:, head : head + 1]
        key = key[:, head // groups : head // groups + 1]
        groups = 1
    k = repeat_kv(key, groups).float()
    q = query[:, :, query_start:, :].float()
    scale = scaling if scaling is not None else q.shape[-1] ** -0.5
    scores = torch.matmul(q, k.transpose(2, 3)) * scale
    softcap = kwargs.get("softcap")
    if softcap:
        scores = torch.tanh(scores / softcap) * softcap
    n_keys = k.shape[2]
    if attention_mask is not None:
        mask = attention_mask[:, :, query_start - query.shape[2] :, :n_keys]
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask.float()
    else:  # SDPA ran with is_causal: rebuild the causal (and sliding-window) mask
        q_pos = torch.arange(n_keys - query.shape[2] + query_start, n_keys, device=q.device)
        k_pos = torch.arange(n_keys, device=q.device)
        allowed = k_pos[None, :] <= q_pos[:, None]
        window = kwargs.get("sliding_window")
        if window:
            allowed &= k_pos[None, :] > q_pos[:, None] - window
        scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, dim=-1)


def _grouped_rows(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None,
    kwargs: dict[str, Any],
    spec: LinkSpec,
) -> torch.Tensor:
    """(stop - start, n_groups): the head's attention mass of each row on each group."""
    out = torch.zeros(
        spec.stop - spec.start, spec.n_groups + 1, dtype=torch.float32, device=query.device
    )
    groups = spec.groups.to(query.device)
    for a in range(spec.start, spec.stop, ROW_BLOCK):
        b = min(a + ROW_BLOCK, spec.stop)  # rows < b never attend to keys >= b
        mask = None if attention_mask is None else attention_mask[:, :, :b, :b]
        rows = query_rows(
            module, query[:, :, :b], key[:, :, :b], mask, scaling, a, kwargs, spec.head
        )
        out[a - spec.start : b - spec.start].index_add_(1, groups[:b], rows[0, 0])
    return out[:, : spec.n_groups]


def model_device(model: torch.nn.Module) -> torch.device:
    """Where the model's weights are (its first parameter's device)."""
    for param in model.parameters():
        return param.device
    return torch.device("cpu")


def install(model: torch.nn.Module) -> None:
    """Route the model's attention through the capture function (SDPA unless probing)."""
    check_capturable(model)
    if ATTN_IMPLEMENTATION not in AttentionInterface._global_mapping:
        AttentionInterface.register(ATTN_IMPLEMENTATION, _attention)
        AttentionMaskInterface.register(ATTN_IMPLEMENTATION, sdpa_mask)
    if attention_implementation(model) != ATTN_IMPLEMENTATION:
        model.set_attn_implementation(ATTN_IMPLEMENTATION)  # type: ignore[operator]
    if attention_implementation(model) != ATTN_IMPLEMENTATION:
        raise ModelError(f"{type(model).__name__} refused the capturing attention implementation")


@contextlib.contextmanager
def _capturing(cap: _Capture) -> Iterator[_Capture]:
    token = _ACTIVE.set(cap)
    try:
        yield cap
    finally:
        _ACTIVE.reset(token)


def attention_rows(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    query_start: int,
    layers: list[int],
    attention_mask: torch.Tensor | None = None,
    position_ids: torch.Tensor | None = None,
    link: LinkSpec | None = None,
) -> dict[int, torch.Tensor]:
    """Run the model up to ``max(layers)`` and return each layer's (B, H, Q, K) rows.

    The inputs may live anywhere: they are moved to the model's device, and the rows come
    back on it (fp32).

    A 4D ``attention_mask`` (bool, ``(1, 1, T, T)``) is used by every layer and by the
    captured rows, narrowed to their window on sliding-window layers
    (:func:`families.step_attention_mask`); with ``position_ids`` several query blocks can
    share one context.
    ``link`` (its layer among ``layers``) adds, under the key ``LINK``, that head's
    attention of its rows summed per column group: ``(stop - start, n_groups)``.
    """
    if link is not None and link.layer not in layers:
        raise ModelError(f"the link layer {link.layer} is not among the probed layers {layers}")
    n_layers = len(decoder_layers(model))
    for layer in layers:
        if not 0 <= layer < n_layers:
            raise ModelError(f"layer {layer} is outside the model's {n_layers} layers")
    cap = _Capture(frozenset(layers), query_start, max(layers), link=link)
    base = getattr(model, "base_model", model)
    n = input_ids.shape[1]
    device = model_device(model)
    ids, mask, positions = _pad(
        input_ids.to(device),
        None if attention_mask is None else attention_mask.to(device),
        None if position_ids is None else position_ids.to(device),
        PAD_MULTIPLE,
    )
    # a 4D mask reaches every layer as is: sliding-window layers need their window in it
    masks = None if mask is None else step_attention_mask(model, mask, positions)
    with _capturing(cap), torch.inference_mode(), contextlib.suppress(_StopForward):
        base(input_ids=ids, attention_mask=masks, position_ids=positions, use_cache=False)
    missing = sorted(set(layers) - set(cap.rows))
    if missing:
        raise ModelError(
            f"attention of layer(s) {missing} was not captured: the model does not call "
            f"the '{ATTN_IMPLEMENTATION}' attention implementation"
        )
    # real rows never attend to the padding (it comes after them): drop its rows and columns
    out = {i: rows[:, :, : n - query_start, :n] for i, rows in cap.rows.items()}
    if link is not None:
        assert cap.link_rows is not None
        out[LINK] = cap.link_rows
    return out


def _pad(
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None,
    position_ids: torch.Tensor | None,
    multiple: int,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """Right-pad to a multiple of ``multiple``; padding rows attend causally to everything."""
    batch, n = input_ids.shape
    extra = -n % multiple
    if extra == 0:
        return input_ids, attention_mask, position_ids
    ids = torch.cat([input_ids, input_ids.new_zeros((batch, extra))], dim=1)
    if attention_mask is not None:
        total = n + extra
        mask = torch.zeros((1, 1, total, total), dtype=torch.bool, device=attention_mask.device)
        mask[..., :n, :n] = attention_mask
        mask[..., n:, :] = torch.ones(extra, total, dtype=torch.bool, device=mask.device).tril(n)
        attention_mask = mask
    if position_ids is not None:
        step = torch.arange(1, extra + 1, device=position_ids.device)
        position_ids = torch.cat([position_ids, position_ids[:, -1:] + step], dim=1)
    return ids, attention_mask, position_ids
