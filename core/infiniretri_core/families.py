"""Model-family quirks, isolated here: which layers attend globally, how the chat is rendered.

Everything else in the engine is family-agnostic: the capture sees q and k after RoPE and
q/k-norm, so one function serves Llama, Qwen2, Qwen3, Mistral and Gemma3.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .errors import ConfigError, ModelError


def decoder_layers(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The stack of decoder layers of a causal LM (``model.model.layers`` in HF families)."""
    base = getattr(model, "base_model", model)
    layers = getattr(base, "layers", None)
    if not isinstance(layers, torch.nn.ModuleList) or len(layers) == 0:
        raise ModelError(
            f"{type(model).__name__} has no `model.layers` decoder stack: InfiniRetri supports "
            "the Llama-style families of transformers (Llama, Qwen2/3, Mistral, Gemma3, "
            "SmolLM); state-space and recurrent models have no self-attention to read with"
        )
    return layers


def check_capturable(model: torch.nn.Module) -> None:
    """Fail early, with a clear message, on models whose attention we cannot capture."""
    layers = decoder_layers(model)
    attn = getattr(layers[0], "self_attn", None)
    if attn is None or not hasattr(attn, "layer_idx"):
        raise ModelError(
            f"{type(model).__name__}: decoder layers have no `self_attn` with a `layer_idx`; "
            "InfiniRetri captures attention through transformers' AttentionInterface"
        )
    can_set = getattr(model, "_can_set_attn_implementation", None)
    if callable(can_set) and not can_set():
        raise ModelError(
            f"{type(model).__name__} does not dispatch attention through AttentionInterface, "
            "so its attention rows cannot be captured without eager attention everywhere"
        )
    if getattr(model, "_supports_sdpa", True) is False:
        softcap = getattr(text_config(model), "attn_logit_softcapping", None)
        why = f" (its attention logits are soft-capped at {softcap})" if softcap else ""
        raise ModelError(
            f"{type(model).__name__}: transformers cannot run this family's attention through "
            f"SDPA{why}, and InfiniRetri runs every layer up to the scoring layer through SDPA "
            "(the capture delegates to it), so it would not compute what the model computes"
        )
    bidirectional = [i for i, layer in enumerate(layers) if not _is_causal(layer)]
    if bidirectional:
        raise ModelError(
            f"{type(model).__name__}: layers {bidirectional} attend bidirectionally (e.g. Gemma3 "
            "with `use_bidirectional_attention`, an embedding model); InfiniRetri reads the "
            "question rows of a causal LM"
        )


def _is_causal(layer: torch.nn.Module) -> bool:
    return bool(getattr(getattr(layer, "self_attn", None), "is_causal", True))


def text_config(model: Any) -> Any:
    """The decoder's config (multimodal configs nest it)."""
    config = model.config
    return config.get_text_config() if hasattr(config, "get_text_config") else config


def attention_windows(model: Any) -> list[int | None]:
    """Each decoder layer's sliding window in tokens (``None``: it sees the whole input).

    Families with ``layer_types`` (Qwen2/3, Qwen2-MoE, Gemma2/3) window their
    ``"sliding_attention"`` layers; the others with a ``sliding_window`` (Mistral, Mixtral,
    Phi3, Qwen3-MoE) window every layer. Qwen2/3 keep ``sliding_window`` only with
    ``use_sliding_window`` (Qwen2-MoE sets it to 0 otherwise).
    """
    text = text_config(model)
    n = int(text.num_hidden_layers)
    window = getattr(text, "sliding_window", None) or None
    types = getattr(text, "layer_types", None)
    if window is None:
        return [None] * n
    if types:
        return [int(window) if t == "sliding_attention" else None for t in types]
    return [int(window)] * n


def global_attention_layers(model: Any) -> list[int]:
    """Layers that see the whole context (Gemma3 interleaves sliding-window layers); all
    layers if every one is windowed (Mistral v0.1, Phi3: no better choice)."""
    windows = attention_windows(model)
    full = [i for i, w in enumerate(windows) if w is None]
    return full or list(range(len(windows)))


def check_whole_view(model: Any, layers: Iterable[int], what: str = "layer") -> None:
    """Refuse scoring with a sliding-window layer chosen by hand where global layers exist.

    A step (prompt, cache and a chunk of 1,024 tokens) is longer than a real window (512
    tokens on Gemma-3), so such a layer's question rows see only the end of each step: the
    read would silently drop what came before. Where every layer is windowed (Mistral v0.1,
    Phi3) there is no better choice, and any layer is accepted.
    """
    windows = attention_windows(model)
    whole = [i for i, w in enumerate(windows) if w is None]
    windowed = sorted({i for i in layers if windows[i] is not None})
    if whole and windowed:
        layer = windowed[0]
        raise ConfigError(
            f"{what} {layer} of {type(model).__name__} sees only the last {windows[layer]} "
            "tokens (a sliding window), so it would score only the end of each step; the "
            f"layers that see the whole step are {whole}: choose one of them, or 'auto'"
        )


def step_attention_mask(
    model: Any, mask: torch.Tensor, positions: torch.Tensor | None
) -> torch.Tensor | dict[str, torch.Tensor]:
    """A step's 4D boolean mask as the model must be given it.

    transformers uses a 4D mask as is on every layer, so a sliding-window layer given one
    would see the whole input. Each window is applied here by position distance (a question
    block's positions start right after the context, as in a read of that question alone).
    Families with ``layer_types`` take a mask per layer type; the others one mask for all.
    """
    windows = attention_windows(model)
    window = next((w for w in windows if w is not None), None)
    if window is None:
        return mask
    n = mask.shape[-1]
    pos = positions[0] if positions is not None else torch.arange(n, device=mask.device)
    pos = pos.to(mask.device)
    windowed = mask & ((pos[:, None] - pos[None, :]) < window)
    types = getattr(text_config(model), "layer_types", None)
    if not types:  # one mask for all layers, every one windowed (Mistral, Phi3)
        return windowed
    return {t: windowed if t == "sliding_attention" else mask for t in set(types)}


def num_heads(model: Any) -> int:
    """Query heads per layer."""
    return int(text_config(model).num_attention_heads)


def max_positions(model: Any) -> int | None:
    """The longest input the model's positions cover (``None``: unknown)."""
    limit = getattr(text_config(model), "max_position_embeddings", None)
    return int(limit) if limit else None


def model_name(model: Any) -> str:
    """The name or path the model was loaded from ('' if unknown)."""
    return str(getattr(model.config, "_name_or_path", "") or "")


def config_json(model: Any) -> str:
    """The model's whole config as JSON (part of what a calibration depends on)."""
    return str(model.config.to_json_string(use_diff=False))


def param_dtype(model: Any) -> torch.dtype:
    return next(model.parameters()).dtype


def drop_quantization_config(model: Any) -> None:
    """Forget how a de-quantized (GGUF) model was stored, so it saves as plain weights."""
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def attention_implementation(model: Any) -> str | None:
    return getattr(model.config, "_attn_implementation", None)


def render_chat(tokenizer: Any, user: str) -> str:
    """The authors' message layout: an empty system turn, then the user turn.

    The empty system turn stops templates (SmolLM2, Qwen2.5) from inserting their default
    system prompt; templates that reject a system role get the user turn alone. A tokenizer
    without a chat template (a base model) reads the plain prompt after its BOS token.
    """
    if getattr(tokenizer, "chat_template", None):
        for messages in (
            [{"role": "system", "content": ""}, {"role": "user", "content": user}],
            [{"role": "user", "content": user}],
        ):
            try:
                rendered = tokenizer.apply_chat_template(
                    messages, tokenize=False, add_generation_prompt=True
                )
            except Exception:  # template-specific errors (e.g. "system role not supported")
                continue
            if isinstance(rendered, str):
                return rendered
    bos = getattr(tokenizer, "bos_token", None)
    return (bos or "") + user


def lacks_end_of_turn(tokenizer: Any) -> bool:
    """A base model (no chat template) has no end of turn to stop its answer at."""
    return not getattr(tokenizer, "chat_template", None)


def stop_token_ids(tokenizer: Any, model: Any) -> list[int]:
    """End-of-turn ids: the generation config's, plus the tokenizer's eos."""
    ids: list[int] = []
    gen = getattr(model, "generation_config", None)
    eos = getattr(gen, "eos_token_id", None)
    if isinstance(eos, int):
        ids.append(eos)
    elif isinstance(eos, list):
        ids.extend(int(i) for i in eos)
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(int(tokenizer.eos_token_id))
    return ids
