"""The cascade by one word: ``scoring="focused"`` brings the embedded reader its ranker
(``ranker="auto"``).

On the report half of the real-document set (48 questions, none used to choose), SmolLM2
reading with the query-focused heads and Qwen2.5-Coder-1.5B ranking what it kept put the gold
sentence in the writer's 128 tokens 0.479 of the time, MiniLM RAG 0.365; it answered 22
questions to RAG's 21, at ~3x RAG's cost (``docs/benchmarks.md``), and kept NIH's needle
25/25 over 8k-128k. It is not the default yet: with four keys asked at once among look-alike
sentences (dense RULER) it hands the writer fewer of them than the paper's read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import models, packaged
from .config import DEFAULT_SCORING, InfiniRetriConfig

DEFAULT_RANKER = "qwen2.5-coder-1.5b"
"""The ranker ``ranker="auto"`` names for the embedded reader's ``"focused"`` read: the
default writer's model, so one copy of its weights ranks and writes."""

CASCADE_SCORING = "focused"
"""The read whose cache the default ranker orders: kept by each sentence's best score under
the query-focused heads, ~1,000 tokens of it."""


def choose_ranker(
    model: object, ranker: Any, config: InfiniRetriConfig | None, options: Mapping[str, Any]
) -> Any:
    """``ranker`` (``from_pretrained``'s) with ``"auto"`` resolved: :data:`DEFAULT_RANKER` for
    the embedded reader when ``scoring=`` (or ``config``) is :data:`CASCADE_SCORING`, else
    none. A missing ranker is a warning; the read then has none."""
    if ranker != "auto":
        return ranker
    default = DEFAULT_SCORING if config is None else config.scoring
    if not models.is_embedded(model) or options.get("scoring", default) != CASCADE_SCORING:
        return None
    if not packaged.installed(DEFAULT_RANKER, "ranker", "the read has none", "ranker=None"):
        return None
    return DEFAULT_RANKER
