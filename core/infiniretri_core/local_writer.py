"""A local model that writes the answer: the reader's own, or another one (``writer=``).

Reading and writing are separate jobs: a small model reads fast, a larger one answers better.
The writer gets the reader's budgeted evidence as text in its own prompt, decodes greedily and
stops at its end of turn, at a blank line if it is a base model, or where it starts to repeat.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import StoppingCriteriaList

from . import families
from .answer_guard import AnswerGuard, GuardedStreamer, StopRule
from .prompt import prompt_parts
from .tokens import encode_one

WRITER_OPTIONS: dict[str, Any] = {"layer": "last"}
"""A writer engine's options: it never reads, so nothing of it is calibrated."""


@dataclass(frozen=True)
class LocalWriter:
    """``model`` and ``tokenizer`` answering under ``lock`` (shared with any engine reading
    with the same model), stopping by ``rule``."""

    model: Any
    tokenizer: Any
    lock: threading.RLock
    rule: StopRule

    @classmethod
    def of(
        cls, model: Any, tokenizer: Any, lock: threading.RLock, repeat_ngram: int | None
    ) -> LocalWriter:
        rule = StopRule(repeat_ngram, blank_line=families.lacks_end_of_turn(tokenizer))
        return cls(model, tokenizer, lock, rule)

    @property
    def stop_ids(self) -> list[int]:
        return families.stop_token_ids(self.tokenizer, self.model)

    def input_ids(self, template: str, question: str, context: str) -> tuple[torch.Tensor, int]:
        """The prompt ``template`` around ``context`` and ``question`` in the writer's chat
        layout, and how many tokens the context takes."""
        parts = prompt_parts(self.tokenizer, template, question)
        tokens = encode_one(self.tokenizer, context)
        return parts.build(tokens)[0], len(tokens)

    def guard(
        self, input_ids: torch.Tensor, should_stop: Callable[[], bool] | None = None
    ) -> AnswerGuard:
        return AnswerGuard(self.rule, self._decode, input_ids.shape[1], should_stop)

    def streamer(self, guard: AnswerGuard) -> GuardedStreamer:
        return GuardedStreamer(self.tokenizer, guard)

    def generate(
        self,
        input_ids: torch.Tensor,
        max_new_tokens: int,
        guard: AnswerGuard | None = None,
        streamer: GuardedStreamer | None = None,
    ) -> str:
        """Greedy decoding of ``input_ids`` until an end of turn, the ``guard`` or
        ``max_new_tokens``; the answer's text, undecorated."""
        from transformers import GenerationConfig

        guard = guard or self.guard(input_ids)
        stop_ids = self.stop_ids
        pad = self.tokenizer.pad_token_id
        gen = GenerationConfig(
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=stop_ids or None,
            pad_token_id=pad if pad is not None else (stop_ids or [0])[0],
        )
        with self.lock, torch.inference_mode():
            ids = input_ids.to(self.model.device)
            out = self.model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                generation_config=gen,
                streamer=streamer,
                stopping_criteria=StoppingCriteriaList([guard]),
            )
        new = [int(i) for i in out[0, ids.shape[1] :].tolist() if int(i) not in stop_ids]
        return guard.text(new)

    def _decode(self, ids: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(ids), skip_special_tokens=True))
