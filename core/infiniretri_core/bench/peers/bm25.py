"""BM25 (bm25s) over our sentences, top scores until our cache's token budget, in document
order."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..cases import Case
from ..common import require
from . import Retrieved
from .units import retrieved, units


class BM25:
    name = "bm25"

    def __init__(self, engine: Any, max_new_tokens: int = 30) -> None:
        self.engine = engine
        self.bm25s = require("bm25s", "bm25s")

    def retrieve(self, case: Case, budget: int | None) -> Retrieved:
        t0 = time.perf_counter()
        u = units(self.engine, case.document)
        return retrieved(u, self.scores(u.texts, case.question), budget, t0)

    def scores(self, texts: list[str], question: str) -> np.ndarray:
        """BM25 score of every text for the question (English stop words removed)."""
        bm = self.bm25s
        corpus = bm.tokenize(texts, stopwords="en", show_progress=False)
        retriever = bm.BM25()
        retriever.index(corpus, show_progress=False)
        words = bm.tokenize([question], stopwords="en", return_ids=False, show_progress=False)[0]
        return np.asarray(retriever.get_scores(words), dtype=np.float64)
