"""Options that name model parts (``layer``, ``heads``, ``link_head``) -> checked indices,
calibrating where asked (``"auto"``)."""

from __future__ import annotations

import threading
from typing import Any

from . import calibration, families
from .config import InfiniRetriConfig
from .errors import ConfigError
from .scoring import Scorer
from .scoring.heads import check as check_heads


def scoring_layer(
    model: Any,
    tokenizer: Any,
    config: InfiniRetriConfig,
    lock: threading.RLock,
    scorer: Scorer | None = None,
) -> int:
    """The layer reading runs to (and the link head's layer): the deepest of ``heads`` or of
    a user's scorer, else ``config.layer`` resolved."""
    n = len(families.decoder_layers(model))
    if config.heads is not None:
        check_heads(config.heads, n, families.num_heads(model))
        return max(layer for layer, _ in config.heads)
    if scorer is not None:
        return max(scorer.layers())
    layer = config.layer
    if layer == "last":
        return n - 1
    if layer == "auto":
        return calibration.calibrated_layer(_probing(model, tokenizer, config, lock))
    assert isinstance(layer, int)
    if not -n <= layer < n:
        raise ConfigError(f"layer {layer} is out of range for a model with {n} layers")
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


def _probing(
    model: Any, tokenizer: Any, config: InfiniRetriConfig, lock: threading.RLock
) -> calibration.Probing:
    return calibration.Probing(
        model, tokenizer, config.prompt_template, config.phrase_token_num, lock
    )
