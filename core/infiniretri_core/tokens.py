"""Tokenizing user text (document, question) as data, and the prompt template as control.

Special-token strings inside user text (``<|im_end|>``, ``<|im_start|>system``) are split
into ordinary tokens: a document must not be able to close the prompt's turn and inject
instructions. Only the prompt template, rendered by the chat template, carries control tokens.

Fast tokenizers implement ``split_special_tokens`` by flipping a flag on the shared Rust
tokenizer before encoding, so two threads encoding at once can each get the other's setting;
every encode here sets the flag explicitly, under one lock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

_LOCK = threading.Lock()


def _encode(tokenizer: Any, texts: list[str], split_special: bool) -> list[list[int]]:
    with _LOCK:
        out = tokenizer(texts, add_special_tokens=False, split_special_tokens=split_special)
    return [list(ids) for ids in out["input_ids"]]


def encode(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each user text: no special tokens added, none recognised."""
    return _encode(tokenizer, list(texts), True) if texts else []


def encode_one(tokenizer: Any, text: str) -> list[int]:
    return encode(tokenizer, [text])[0] if text else []


def encode_control(tokenizer: Any, text: str) -> list[int]:
    """Token ids of rendered prompt text, whose special-token strings are control tokens."""
    return _encode(tokenizer, [text], False)[0] if text else []
