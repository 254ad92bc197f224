"""Model-family quirks, isolated here: which layers attend globally, how the chat is rendered.

Everything else in the engine is family-agnostic: the capture sees q and k after RoPE and
q/k-norm, so one function serves Llama, Qwen2, Qwen3, Mistral and Gemma3.
"""

from __future__ import annotations

from typing import Any

import torch

from .errors import ModelError


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


def text_config(model: Any) -> Any:
    """The decoder's config (multimodal configs nest it)."""
    config = model.config
    return config.get_text_config() if hasattr(config, "get_text_config") else config


def global_attention_layers(model: Any) -> list[int]:
    """Layers that see the whole context (Gemma3 interleaves sliding-window layers)."""
    text = text_config(model)
    n = int(text.num_hidden_layers)
    types = getattr(text, "layer_types", None)
    if types:
        full = [i for i, t in enumerate(types) if t == "full_attention"]
        if full:
            return full
    return list(range(n))


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
