"""Full context: the whole document when it fits the model's window, else its beginning and
its end (the usual truncation of long-context baselines), whole sentences on both sides."""

from __future__ import annotations

import time
from typing import Any

from ...families import max_positions
from ...prompt import prompt_parts
from ..cases import Case
from . import Retrieved
from .units import Units, units


def model_window(engine: Any) -> int:
    return max_positions(engine.model) or int(engine.tokenizer.model_max_length)


def head_and_tail(u: Units, room: int) -> tuple[list[int], list[int]]:
    """Sentences from both ends, alternately the shorter side, while they fit ``room``
    (+1 token per sentence for the joining space)."""
    head: list[int] = []
    tail: list[int] = []
    used = [0, 0]
    lo, hi = 0, len(u.texts) - 1
    while lo <= hi:
        front = used[0] <= used[1]
        i = lo if front else hi
        cost = int(u.tokens[i]) + 1
        if sum(used) + cost > room:
            break
        (head if front else tail).append(i)
        used[0 if front else 1] += cost
        lo, hi = (lo + 1, hi) if front else (lo, hi - 1)
    return head, sorted(tail)


class FullContext:
    name = "full"

    def __init__(self, engine: Any, max_new_tokens: int = 30, window: int | None = None) -> None:
        self.engine = engine
        self.max_new_tokens = max_new_tokens
        self.window = window or model_window(engine)

    def room(self, question: str) -> int:
        """Context tokens that fit with the prompt, the question and the answer."""
        parts = prompt_parts(self.engine.tokenizer, self.engine.config.prompt_template, question)
        return self.window - parts.fixed_tokens - self.max_new_tokens

    def retrieve(self, case: Case, budget: int | None = None) -> Retrieved:
        t0 = time.perf_counter()
        room = self.room(case.question)
        n = self._count(case.document)
        if n <= room:
            return Retrieved(case.document, time.perf_counter() - t0, note="whole document")
        u = units(self.engine, case.document)
        head, tail = head_and_tail(u, room)

        def text() -> str:
            return " ".join(u.texts[i] for i in head) + "\n\n" + " ".join(u.texts[i] for i in tail)

        context = text()
        while self._count(context) > room and (head or tail):  # re-tokenized joins may differ
            (head.pop() if len(head) >= len(tail) else tail.pop(0))
            context = text()
        kept_head = int(sum(u.tokens[i] for i in head))
        kept_tail = int(sum(u.tokens[i] for i in tail))
        note = f"truncated: first {kept_head} and last {kept_tail} of {n} tokens"
        return Retrieved(context, time.perf_counter() - t0, note=note)

    def _count(self, text: str) -> int:
        return len(self.engine.tokenizer(text, add_special_tokens=False)["input_ids"])
