"""A local model that writes the answer: the reader's own, or another one (``writer=``).

Reading and writing are separate jobs: a small model reads fast, a larger one answers better.
The writer gets the reader's budgeted evidence as text in its own prompt, decodes greedily and
stops at its end of turn, at a blank line if it is a base model, or where it starts to repeat.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import StoppingCriteriaList

from . import families, models, packaged
from .answer_guard import AnswerGuard, GuardedStreamer, StopRule
from .config import InfiniRetriConfig
from .prompt import prompt_parts
from .tokens import encode_one

WRITER_OPTIONS: dict[str, Any] = {"layer": "last"}
"""A writer engine's options: it never reads, so nothing of it is calibrated."""

DEFAULT_WRITER = "qwen2.5-coder-1.5b"
"""The embedded reader's writer (``writer="auto"``): on the report half of the real-document
set it answered 17 of 48 questions from the reader's 400 best tokens, the reader itself 5
(``docs/engine.md``, "The writer"); the 0.5B, 7, did not reach twice the reader's."""

DEFAULT_WRITER_BUDGET = 400
"""``answer_max_tokens`` under the default writer unless set: the budget it was measured at
(the whole cache, up to ``max_cache_tokens``, would cost it seconds more per answer)."""


class PendingWriter:
    """A writer named but not loaded: loaded by ``load`` on the first answer, once, so an
    engine that only selects never pays for it (3 GB and seconds for the default)."""

    def __init__(self, name: str, settings: Mapping[str, Any], load: Callable[[], Any]) -> None:
        self.name = name
        self.settings = dict(settings)
        """The load arguments (dtype, device, trust_remote_code), for a worker's copy."""
        self._load = load
        self._engine: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        """The writer engine, loaded on the first call."""
        with self._lock:
            if self._engine is None:
                self._engine = self._load()
            return self._engine

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def portable(self) -> dict[str, Any]:
        """What a worker process needs to make the same pending writer (nothing loaded)."""
        device = self.settings.get("device")
        dtype = str(self.settings.get("dtype", "auto")).removeprefix("torch.")
        return {
            "pending": self.name,
            "dtype": dtype,
            "device": None if device is None else str(device),
        }

    def __repr__(self) -> str:
        return f"PendingWriter({self.name!r}, loaded={self.loaded})"


def choose_writer(
    model: object,
    writer: Any,
    config: InfiniRetriConfig,
    budget_given: bool,
    ranker_name: object,
    pending: Callable[[str], PendingWriter],
) -> tuple[Any, InfiniRetriConfig]:
    """``writer`` (``from_pretrained``'s) with ``"auto"`` resolved: the default writer, pending
    (``pending(name)``) and at :data:`DEFAULT_WRITER_BUDGET` unless ``answer_max_tokens`` is
    set; its name when the ranker is that model (loaded once), ``None`` when the reader writes."""
    if writer != "auto":
        return writer, config
    name = default_writer(model)
    if name is None:
        return None, config
    if not budget_given and config.answer_max_tokens is None:
        config = config.replace(answer_max_tokens=DEFAULT_WRITER_BUDGET)
    return (name if name == ranker_name else pending(name)), config


def default_writer(model: object) -> str | None:
    """The writer ``writer="auto"`` names for the reader ``model``: :data:`DEFAULT_WRITER`
    for the embedded reader (``None`` or its name) when its parts are installed, else ``None`` (the
    reader writes, and a warning says how to install the default)."""
    if not models.is_embedded(model):
        return None
    instead = "the reader writes its own answers"
    if not packaged.installed(DEFAULT_WRITER, "writer", instead, "writer=None"):
        return None
    return DEFAULT_WRITER


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
