"""When an answer ends: at the writer's end of turn, at a blank line for a base model, or
where it starts to repeat itself.

Small writers decoding greedily repeat their answer sentence, and a base model has no end of
turn. The guard only stops generation and cuts the text; it never changes a token choice
(a banned n-gram, as ``no_repeat_ngram_size`` does, would also forbid copying the document's
words), so an answer that does not repeat is exactly the greedy one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import StoppingCriteria, TextIteratorStreamer

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class StopRule:
    """``repeat_ngram``: stop once this many generated tokens repeat an earlier run of them
    (``None``: never). ``blank_line``: stop at the first blank line after some text (base
    models, which have no end of turn)."""

    repeat_ngram: int | None = 16
    blank_line: bool = False


def repeat_cut(ids: Sequence[int], n: int | None) -> int | None:
    """Where the repeat starts if the last ``n`` ids repeat an earlier run of them."""
    if n is None or len(ids) <= n:
        return None
    tail = list(ids[-n:])
    last = len(ids) - n
    if any(list(ids[i : i + n]) == tail for i in range(last)):
        return last
    return None


def repeat_start(ids: Sequence[int], n: int | None) -> int:
    """Where a repeat may be under way: the start of the longest suffix of ``ids``, shorter
    than ``n``, that they already hold as an earlier run (``len(ids)`` if none). A stream
    shows what lies before it, so a repeat is cut before it is shown, at the cost of a token
    or two of lag in plain text."""
    size = len(ids)
    if n is None:
        return size
    for k in range(min(n - 1, size - 1), 0, -1):
        tail = list(ids[size - k :])
        if any(list(ids[i : i + k]) == tail for i in range(size - k)):
            return size - k
    return size


def answer_text(text: str, rule: StopRule, under_way: bool = True) -> str:
    """``text`` up to a blank line after some text (if ``rule.blank_line``), and unless
    ``rule.repeat_ngram`` is ``None``, up to the first sentence that repeats an earlier one,
    or (if ``under_way``) an unfinished last sentence that begins as an earlier one does: a
    repeat under way, or not yet known."""
    if rule.blank_line:
        for gap in _BLANK_LINE.finditer(text):
            if text[: gap.start()].strip():
                text = text[: gap.start()]
                break
    if rule.repeat_ngram is None:
        return text
    seen: list[str] = []
    start = 0
    for end in [m.start() for m in _SENTENCE_END.finditer(text)] + [len(text)]:
        sentence = text[start:end].strip()
        finished = end < len(text) or sentence[-1:] in (".", "!", "?")
        if sentence and (
            sentence in seen
            or (under_way and not finished and any(s.startswith(sentence) for s in seen))
        ):
            return text[:start].rstrip()
        seen.append(sentence)
        start = end
    return text


class AnswerGuard(StoppingCriteria):
    """Stops generation at a repeat or a blank line (or once ``should_stop()``); ``text``
    gives the answer then. Generated ids are those after ``prompt_len``."""

    def __init__(
        self,
        rule: StopRule,
        decode: Callable[[Sequence[int]], str],
        prompt_len: int,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.rule, self.decode, self.prompt_len = rule, decode, prompt_len
        self.should_stop = should_stop
        self.cut: int | None = None

    def text(self, ids: Sequence[int]) -> str:
        """The answer in the generated ``ids`` (the guard's cut applied)."""
        kept = ids if self.cut is None else ids[: self.cut]
        return answer_text(self.decode(kept), self.rule)

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        if self.cut is None:
            ids = input_ids[0, self.prompt_len :].tolist()
            self.cut = repeat_cut(ids, self.rule.repeat_ngram)
            if self.cut is None:
                text = self.decode(ids)
                if answer_text(text, self.rule, under_way=False) != text:
                    self.cut = len(ids)
        stop = self.cut is not None or (self.should_stop is not None and self.should_stop())
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)


class GuardedStreamer(TextIteratorStreamer):
    """Text pieces of the answer that the guard will keep: tokens that may begin a repeat
    are held back (:func:`repeat_start`), so the pieces join into the answer."""

    def __init__(self, tokenizer: Any, guard: AnswerGuard) -> None:
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.guard = guard
        self.ids: list[int] = []
        self.shown = ""

    def put(self, value: torch.Tensor) -> None:
        if self.skip_prompt and self.next_tokens_are_prompt:
            self.next_tokens_are_prompt = False
            return
        self.ids.extend(int(i) for i in value.reshape(-1).tolist())
        ready = repeat_start(self.ids, self.guard.rule.repeat_ngram)
        if ready > 0:
            self._show(self.guard.text(self.ids[:ready]), final=False)

    def end(self) -> None:
        self._show(self.guard.text(self.ids), final=True)
        self.next_tokens_are_prompt = True
        self.on_finalized_text("", stream_end=True)

    def _show(self, text: str, final: bool) -> None:
        """Send what ``text`` adds to what was shown, once it is safe to (a whole word, no
        half a character), or all of it at the end."""
        if not text.startswith(self.shown):
            return
        new = text[len(self.shown) :]
        if not final:
            cut = max(new.rfind(" "), new.rfind("\n"))
            new = "" if new.endswith("\ufffd") or cut < 0 else new[: cut + 1]
        if new:
            self.shown += new
            self.on_finalized_text(new)
