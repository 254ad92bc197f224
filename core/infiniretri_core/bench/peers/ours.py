"""Our engine: the sentences its attention kept, given to the common writer."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..cases import Case
from . import Retrieved


class Ours:
    name = "ours"

    def __init__(self, engine: Any, max_new_tokens: int = 30) -> None:
        self.engine = engine

    def retrieve(self, case: Case, budget: int | None) -> Retrieved:
        t0 = time.perf_counter()
        sel = self.engine.select(case.document, case.question)
        evidence = sel.evidence
        limit = self.engine.config.answer_max_tokens
        if limit is not None and evidence:  # what engine.answer would hand its writer
            tokens = np.asarray([self._count(e.text) for e in evidence])
            order = np.argsort([-e.score for e in evidence], kind="stable")
            keep, total = [], 0
            for i in order:
                if total + tokens[i] <= limit:
                    keep.append(i)
                    total += int(tokens[i])
            evidence = [evidence[i] for i in sorted(keep)]
        if self.engine.config.writer_order == "score":  # as engine.answer orders them
            evidence = sorted(evidence, key=lambda e: e.score)
        context = " ".join(e.text for e in evidence)
        return Retrieved(
            context,
            time.perf_counter() - t0,
            note=f"cache {sel.tokens_kept} of {sel.tokens_read} tokens, layer {sel.layer}",
        )

    def _count(self, text: str) -> int:
        return len(self.engine.tokenizer(text, add_special_tokens=False)["input_ids"])
