"""Our engine: the sentences its writer would read, given to the common writer."""

from __future__ import annotations

import time
from typing import Any

from ..cases import Case
from . import Retrieved


class Ours:
    name = "ours"

    def __init__(self, engine: Any, max_new_tokens: int = 30) -> None:
        self.engine = engine

    def retrieve(self, case: Case, budget: int | None) -> Retrieved:
        t0 = time.perf_counter()
        # the engine's own writer policy (answer_max_tokens, writer_order), token counts and all
        sel, evidence = self.engine.select_for_writer(case.document, case.question)
        context = " ".join(e.text for e in evidence)
        ranked = sorted(evidence, key=lambda e: -e.score)
        return Retrieved(
            context,
            time.perf_counter() - t0,
            note=f"cache {sel.tokens_kept} of {sel.tokens_read} tokens, layer {sel.layer}",
            ranked=[e.text for e in ranked],
        )
