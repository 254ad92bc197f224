"""Options that name model parts (``layer``, ``heads``, ``link_head``) -> checked indices,
calibrating where asked (``"auto"``)."""

from __future__ import annotations

import threading
from typing import Any

from . import calibration, families
from .calibration.heads import HeadChoice, calibrated_heads
from .config import InfiniRetriConfig
from .errors import ConfigError
from .scoring import Scorer
from .scoring.heads import check as check_heads

HEADS_CHOSEN = 1
"""Heads ``heads=\"auto\"`` picks: on SmolLM2-135M the best head alone ranked real questions'
gold best out of sample; more heads ranked lower (``docs/benchmarks.md``)."""


def scoring_layer(
    model: Any,
    tokenizer: Any,
    config: InfiniRetriConfig,
    lock: threading.RLock,
    scorer: Scorer | None = None,
) -> int:
    """The layer reading runs to (and the link head's layer): the deepest of ``heads`` or of
    a user's scorer, else ``config.layer`` resolved. A layer named by hand must see the whole
    step where the model has such layers (:func:`families.check_whole_view`)."""
    n = len(families.decoder_layers(model))
    if config.heads == "auto":
        raise ConfigError("heads='auto' is resolved (focused_heads) before the layer")
    if config.heads is not None:
        check_heads(config.heads, n, families.num_heads(model))
        families.check_whole_view(model, (layer for layer, _ in config.heads), "heads' layer")
        return max(layer for layer, _ in config.heads)
    if scorer is not None:
        families.check_whole_view(model, scorer.layers(), "the scorer's layer")
        return max(scorer.layers())
    layer = config.layer
    if layer == "auto":
        return calibration.calibrated_layer(_probing(model, tokenizer, config, lock))
    if layer == "last":
        layer = n - 1
    assert isinstance(layer, int)
    if not -n <= layer < n:
        raise ConfigError(f"layer {layer} is out of range for a model with {n} layers")
    families.check_whole_view(model, [layer % n])
    return layer % n


def link_head(
    model: Any, tokenizer: Any, config: InfiniRetriConfig, lock: threading.RLock, layer: int
) -> int | None:
    """``config.link_head`` checked against ``layer``'s heads, or calibrated (``"auto"``)."""
    head = config.link_head
    if head is None:
        return None
    if head == "auto":
        return calibration.calibrated_link_head(_probing(model, tokenizer, config, lock), layer)
    n = families.num_heads(model)
    if head >= n:
        raise ConfigError(f"link_head {head} does not exist: layer {layer} has {n} heads")
    return head


def focused_heads(
    model: Any, tokenizer: Any, config: InfiniRetriConfig, lock: threading.RLock
) -> tuple[tuple[int, int], ...]:
    """``config.heads`` as given, or calibrated on real questions (``"auto"``)."""
    if config.heads != "auto":
        assert config.heads is not None
        return config.heads
    assert config.null_question is not None  # the config refuses "auto" without it
    choice = HeadChoice(
        config.null_question,
        config.head_cut,
        HEADS_CHOSEN,
        config.chunk_size,
        config.max_sentence_tokens,
        config.abbreviation_chars,
    )
    return calibrated_heads(_probing(model, tokenizer, config, lock), choice)


def _probing(
    model: Any, tokenizer: Any, config: InfiniRetriConfig, lock: threading.RLock
) -> calibration.Probing:
    return calibration.Probing(
        model, tokenizer, config.prompt_template, config.phrase_token_num, lock
    )
