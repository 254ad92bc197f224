"""The writer: which kept sentences it reads, in which order (the policy), and greedy
generation from them. The engine and the benchmark's ``ours`` peer both call
:func:`writer_sentences`, so benchmark budgets are what users get."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from .reading import best_within

WriterOrder = Literal["document", "score"]


def writer_sentences(
    lengths: Sequence[int] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    budget: int | None,
    order: WriterOrder,
) -> list[int]:
    """Positions (into the cache, in document order) of the sentences the writer reads, in
    the order it reads them: the best-scored that fit ``budget`` tokens (all if ``None``),
    in document order or by score, the best last, next to the question."""
    peaks = np.asarray(scores)
    chosen = best_within(np.arange(len(peaks)), np.asarray(lengths), peaks, budget)
    if order == "score":
        chosen = chosen[np.argsort(peaks[chosen], kind="stable")]
    return [int(i) for i in chosen]


def generate(
    model: Any,
    tokenizer: Any,
    input_ids: torch.Tensor,
    max_new_tokens: int,
    stop_ids: list[int],
    streamer: Any = None,
    should_stop: Callable[[], bool] | None = None,
) -> str:
    """Greedy decoding of ``input_ids``; the new text, undecorated."""
    from transformers import GenerationConfig

    gen = GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=stop_ids or None,
        pad_token_id=tokenizer.pad_token_id
        if tokenizer.pad_token_id is not None
        else (stop_ids or [0])[0],
    )
    input_ids = input_ids.to(model.device)
    with torch.inference_mode():
        out = model.generate(
            input_ids=input_ids,
            attention_mask=torch.ones_like(input_ids),
            generation_config=gen,
            streamer=streamer,
            stopping_criteria=StoppingCriteriaList([StopWhen(should_stop)])
            if should_stop
            else None,
        )
    return str(tokenizer.decode(out[0, input_ids.shape[1] :], skip_special_tokens=True))


class StopWhen(StoppingCriteria):
    """A generation stopping criterion: stop every sequence once ``should_stop()`` is true."""

    def __init__(self, should_stop: Callable[[], bool]) -> None:
        self.should_stop = should_stop

    def __call__(self, ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        return torch.full((ids.shape[0],), self.should_stop(), dtype=torch.bool, device=ids.device)


def clean(text: str) -> str:
    """Strip, and drop a reasoning block (``...</think>``) as the authors do."""
    if "</think>" in text:
        text = text[text.rfind("</think>") + len("</think>") :]
    return text.strip()
