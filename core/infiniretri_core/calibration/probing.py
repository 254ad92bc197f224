"""What a calibration reads with: the model, its prompt and the probe settings as values
(never the engine); all of it but the lock is the calibration's cache key."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import torch

from .. import probe
from ..prompt import prompt_parts
from ..scoring.base import QuestionRows
from ..scoring.layer_sum import LayerSum
from .probes import SETTINGS, ProbeSettings


@dataclass(frozen=True)
class Probing:
    model: Any
    tokenizer: Any
    template: str
    phrase_token_num: int
    lock: threading.RLock = field(default_factory=threading.RLock, compare=False)
    """Held around each forward pass (the engine's own lock, when an engine calibrates)."""
    settings: ProbeSettings = SETTINGS
    """What the probes are drawn from (tests draw fewer)."""

    def capture(
        self, sentences: list[list[int]], question: str, layers: list[int], from_context: bool
    ) -> tuple[dict[int, torch.Tensor], slice, int]:
        """Each layer's (H, Q, K) rows over ``sentences`` read with ``question``, from the
        question on (or from the context on: the context's rows too), the context columns
        and where the question starts."""
        parts = prompt_parts(self.tokenizer, self.template, question)
        input_ids, ctx, query_start = parts.build([t for s in sentences for t in s])
        start = ctx.start if from_context else query_start
        with self.lock:
            rows = probe.attention_rows(self.model, input_ids, start, layers)
        return {layer: r[0].cpu() for layer, r in rows.items()}, ctx, query_start

    def paper_scores(
        self, layer: int, rows: torch.Tensor, ctx: slice, query_start: int
    ) -> torch.Tensor:
        """The paper's token scores of the context from one layer's question rows."""
        q = QuestionRows({layer: rows}, slice(query_start, None), ctx)
        return LayerSum(layer, self.phrase_token_num, True).score(q)
