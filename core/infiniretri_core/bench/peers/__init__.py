"""Systems compared on the same cases: each turns (case, token budget) into what its writer
reads (or, for systems that generate themselves, into the answer).

Every system whose context is text is answered by the engine's own writer
(:meth:`InfiniRetri.write`: same prompt, greedy, same new tokens), so only retrieval differs.
The budget is our cache size for the case: retrievers get the same number of tokens.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Protocol

from ...errors import InputError
from ..cases import Case


@dataclass
class Retrieved:
    """What a system produced for one case, before the common writer runs."""

    context: str | None
    """The text the writer reads; None for a system whose kept context is not text."""
    seconds: float
    """Indexing + retrieval (+ generation, for systems that answer themselves)."""
    answer: str | None = None
    """Set by systems that generate themselves (the authors' code, kvpress)."""
    context_tokens: int | None = None
    """Tokens given to the writer, where the system knows better than the text (KV kept)."""
    peak_rss_mb: float | None = None
    """Set by systems that run in their own process."""
    note: str = ""
    ranked: list[str] | None = None
    """The context's sentences, best first (for the rank of the gold among them)."""


class Peer(Protocol):
    name: str

    def retrieve(self, case: Case, budget: int | None) -> Retrieved: ...


PEERS: dict[str, tuple[str, str]] = {
    "ours": ("ours", "Ours"),
    "full": ("full", "FullContext"),
    "rag": ("rag", "EmbeddingRAG"),
    "bm25": ("bm25", "BM25"),
    "authors": ("authors", "Authors"),
    "snapkv": ("kvcompress", "SnapKV"),
    "streamingllm": ("kvcompress", "StreamingLLM"),
}
"""Name -> (module, class); modules are imported only when their system is asked for."""


def make(name: str, engine: Any, max_new_tokens: int = 30) -> Peer:
    """The peer called ``name``, sharing ``engine`` (its tokenizer, segmentation, model)."""
    if name not in PEERS:
        raise InputError(f"unknown system {name!r}; choose from {', '.join(PEERS)}")
    module, cls = PEERS[name]
    mod = importlib.import_module(f"{__name__}.{module}")
    peer: Peer = getattr(mod, cls)(engine, max_new_tokens=max_new_tokens)
    return peer


def parse_systems(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    if names == ["all"]:
        return list(PEERS)
    bad = [n for n in names if n not in PEERS]
    if bad or not names:
        raise InputError(f"unknown system(s) {bad or text!r}; choose from {', '.join(PEERS)}")
    if "ours" in names:  # ours sets the budget of the others: it runs first
        names.remove("ours")
    return ["ours", *names]
