"""NVIDIA kvpress presses (SnapKV, StreamingLLM) on our model, within its window.

The whole prompt (our template, document and question) is pre-filled with the press, which
keeps about our cache's token budget of KV per layer; the answer is then decoded greedily
from the compressed cache by kvpress's pipeline. A document longer than the window is cut by
the pipeline at the window (its beginning is kept).

kvpress 0.5.5 pins ``transformers<5.3``; with transformers 5.x its hook reads
``kwargs["cache_position"]``, which attention layers no longer receive. :func:`_shim` supplies
it from ``position_ids`` (the same numbers during the pre-fill), nothing else is changed.
"""

from __future__ import annotations

import time
from typing import Any

from ..cases import Case
from ..common import require
from . import Retrieved

INSTALL = "--no-deps kvpress cachetools datasets fire"
_SHIMMED = False


def _shim(kvpress: Any) -> None:
    global _SHIMMED
    if _SHIMMED:
        return
    base = kvpress.presses.base_press.BasePress
    original = base.forward_hook

    def forward_hook(self: Any, module: Any, args: Any, kwargs: dict[str, Any], output: Any) -> Any:
        if "cache_position" not in kwargs and kwargs.get("position_ids") is not None:
            kwargs = {**kwargs, "cache_position": kwargs["position_ids"][0]}
        return original(self, module, args, kwargs, output)

    base.forward_hook = forward_hook
    _SHIMMED = True


class _Press:
    press_name = ""
    name = ""

    def __init__(self, engine: Any, max_new_tokens: int = 30) -> None:
        self.engine = engine
        self.max_new_tokens = max_new_tokens
        self.kvpress = require("kvpress", INSTALL)
        _shim(self.kvpress)
        import transformers

        from .full import model_window

        self.window = model_window(engine)
        build: Any = transformers.pipeline  # kvpress registers its task: not in the stubs
        self.pipe = build(
            "kv-press-text-generation", model=engine.model, tokenizer=engine.tokenizer
        )

    def retrieve(self, case: Case, budget: int | None) -> Retrieved:
        t0 = time.perf_counter()
        prompt = self.engine.config.prompt_template.format(
            context=case.document, question=case.question.strip()
        )
        n = len(self.engine.tokenizer(prompt, add_special_tokens=False)["input_ids"])
        keep = n if budget is None else min(n, budget)
        ratio = max(0.0, min(0.99, 1.0 - keep / n))
        press = getattr(self.kvpress, self.press_name)(compression_ratio=ratio)
        out = self.pipe(
            prompt,
            question="",
            press=press,
            max_new_tokens=self.max_new_tokens,
            max_context_length=self.window - self.max_new_tokens - 16,
        )
        cut = " (cut at the window)" if n > self.window - self.max_new_tokens - 16 else ""
        return Retrieved(
            None,
            time.perf_counter() - t0,
            answer=str(out["answer"]).strip(),
            context_tokens=round(n * (1 - ratio)),
            note=f"KV of {round(n * (1 - ratio))} of {n} prompt tokens kept{cut}",
        )


class SnapKV(_Press):
    press_name = "SnapKVPress"
    name = "snapkv"


class StreamingLLM(_Press):
    press_name = "StreamingLLMPress"
    name = "streamingllm"
