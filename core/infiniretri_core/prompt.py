"""The step input, assembled from token ids: no text is re-tokenized between steps.

The rendered chat prompt is cut at the context and question fields, and each fixed part is
tokenized once; sentences are tokenized once each, so every token knows its sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .document import check_text
from .errors import ConfigError, InputError
from .families import render_chat
from .tokens import encode_control, encode_one

_CTX = "\u2063INFINIRETRI_CONTEXT\u2063"
_QST = "\u2063INFINIRETRI_QUESTION\u2063"


@dataclass(frozen=True)
class PromptParts:
    """``prefix + context + middle + question + suffix``; the query rows start at question."""

    prefix: list[int]
    middle: list[int]
    suffix: list[int]
    question: list[int]

    @property
    def fixed_tokens(self) -> int:
        return len(self.prefix) + len(self.middle) + len(self.question) + len(self.suffix)

    def build(self, context: Sequence[int]) -> tuple[torch.Tensor, slice, int]:
        """Input ids (1, T), the context columns and where the query rows start."""
        ids = [*self.prefix, *context, *self.middle, *self.question, *self.suffix]
        ctx = slice(len(self.prefix), len(self.prefix) + len(context))
        query_start = ctx.stop + len(self.middle)
        return torch.tensor([ids], dtype=torch.long), ctx, query_start


def prompt_parts(tokenizer: Any, template: str, question: str) -> PromptParts:
    rendered = render_chat(tokenizer, template.format(context=_CTX, question=_QST))
    prefix, rest = rendered.split(_CTX)
    middle, suffix = rest.split(_QST)
    return PromptParts(
        encode_control(tokenizer, prefix),
        encode_control(tokenizer, middle),
        encode_control(tokenizer, suffix),
        encode_one(tokenizer, question.strip()),
    )


def reading_parts(tokenizer: Any, template: str, question: str, chunk_size: int) -> PromptParts:
    """:func:`prompt_parts` of a question to read with: the prompt and the question must
    leave room for the chunk."""
    check_text(question, "question")
    parts = prompt_parts(tokenizer, template, question)
    fixed = parts.fixed_tokens - len(parts.question)
    if fixed >= chunk_size:
        raise ConfigError(
            f"the prompt template alone takes {fixed} tokens, not less than chunk_size "
            f"({chunk_size}): raise chunk_size"
        )
    if parts.fixed_tokens >= chunk_size:
        raise InputError(
            f"the question takes {len(parts.question)} tokens; with the prompt that is "
            f"{parts.fixed_tokens}, not less than chunk_size ({chunk_size}): shorten the "
            "question or raise chunk_size"
        )
    return parts


DEFAULT_MARKER = "Question:"


def split_prompt(prompt: str, marker: str | None = DEFAULT_MARKER) -> tuple[str, str]:
    """``(document, question)`` of a prompt.

    The question is what follows the last ``marker``; without one, the last paragraph (after
    the last blank line). A prompt with neither has no document to read: an error.
    """
    if not isinstance(prompt, str):
        raise InputError(f"prompt must be a str, got {type(prompt).__name__}")
    if marker and marker in prompt:
        cut = prompt.rfind(marker)
        document, question = prompt[:cut], prompt[cut + len(marker) :]
    else:
        stripped = prompt.rstrip()
        cut = stripped.rfind("\n\n")
        if cut < 0:
            raise InputError(
                f"cannot tell the question from the document: end the prompt with "
                f"'{marker} <question>' or put the question in a last paragraph"
            )
        document, question = stripped[:cut], stripped[cut:]
    if not document.strip():
        raise InputError("the prompt has a question but no document before it")
    if not question.strip():
        raise InputError("the prompt has no question after the document")
    return document, question.strip()
