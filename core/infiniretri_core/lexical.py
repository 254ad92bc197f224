"""Exact-match prior (option ``match_weight``): the question's rare word sequences, found verbatim.

Beyond the paper. Where a haystack is made of look-alikes that differ only by an exact key
(RULER's dense multi-key: "The special magic number for keen-monkey is: 1234567." among
hundreds of other keys), no head of SmolLM2-135M ranks the asked sentence first: at the last
step of 10 such 8k cases the best of its 270 heads reaches an MRR of 0.45 among ~80 context
sentences, while BM25's exact word match ranks it first in all 10. Attention is good at what
words *mean* and weak at which of eighty near-copies carries the exact key.

This prior adds what attention lacks, from the tokens alone: a sentence scores the inverse
document frequency (over sentences, BM25's form) of every distinct n-gram (n <= ``max_n``) of
the question it holds, so the one sentence holding a rare sequence whole (the key) outweighs
those holding its parts (the same adjective with another noun), and template words shared by
every sentence add almost nothing; n-grams bind words that bag-of-words BM25 scores apart
(a question asking four keys does not favour a sentence pairing the adjective of one with
the noun of another). Tokens are compared by their text, lowercased and stripped of leading
space. A sentence's prior is the square of its share of the best sentence's match (the best
scores 1): squared, because sentences sharing only part of the question (a name, "the best
thing") would otherwise be lifted every step, double NIH caches at 32k and displace the
answer sentence of two-hop questions. The prior is added to each step's attention scores in
units of that step's best score:
``score = attention + match_weight * max(attention) * prior``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def canonical(tokenizer: Any, ids: np.ndarray) -> np.ndarray:
    """Each token id mapped to an id of its text, lowercased and stripped (``-1``: whitespace).

    Punctuation keeps an id: it may stand inside an n-gram ("keen - monkey"), though an
    n-gram must start and end with a word token (:func:`prior`).
    """
    unique, inverse = np.unique(ids, return_inverse=True)
    names: dict[str, int] = {}
    mapped = np.empty(len(unique), dtype=np.int64)
    for i, tok in enumerate(unique.tolist()):
        text = str(tokenizer.decode([tok])).strip().lower()
        mapped[i] = names.setdefault(text, len(names)) if text else -1
    out: np.ndarray = mapped[inverse]
    return out


def _is_word(tokenizer: Any, tok: int) -> bool:
    return any(ch.isalnum() for ch in str(tokenizer.decode([tok])))


def prior(
    doc_ids: np.ndarray,
    offsets: np.ndarray,
    question_ids: Sequence[int],
    word: Sequence[bool],
    max_n: int = 4,
    max_share: float = 0.02,
) -> np.ndarray:
    """The prior of every document token, in ``[0, 1]`` (float32).

        ``doc_ids`` and ``question_ids`` are canonical ids (:func:`canonical`), ``offsets`` the
        sentence boundaries in ``doc_ids``, ``word[i]`` whether question token ``i`` holds a
        letter or digit; an n-gram counts only if it starts and ends with such a token and is
    held by at most ``max_share`` of the sentences (common words would otherwise lift a
    token in most sentences above the attention's long tail and flood the cache). A
        sentence's match is the idf summed over the distinct question n-grams it holds; each
        token a matched n-gram covers carries its sentence's match (the other tokens 0), so a
        long sentence cannot flood the step's top-K tokens.
    """
    n_tokens = len(doc_ids)
    q = np.asarray(question_ids, dtype=np.int64)
    if n_tokens == 0 or len(q) == 0:
        return np.zeros(n_tokens, dtype=np.float32)
    n_sentences = len(offsets) - 1
    sentence = np.repeat(np.arange(n_sentences), np.diff(offsets))
    match = np.zeros(n_sentences, dtype=np.float64)
    covered = np.zeros(n_tokens, dtype=bool)
    grams: set[tuple[int, ...]] = set()
    for n in range(1, max_n + 1):
        for start in range(len(q) - n + 1):
            gram = tuple(q[start : start + n].tolist())
            if -1 not in gram and word[start] and word[start + n - 1]:
                grams.add(gram)
    for gram in grams:
        n = len(gram)
        if n > n_tokens:
            continue
        windows = sliding_window_view(doc_ids, n)
        hits = np.flatnonzero((windows == np.asarray(gram)).all(axis=1))
        # an n-gram across a sentence boundary is not a match of one sentence
        hits = hits[sentence[hits] == sentence[hits + n - 1]]
        if len(hits) == 0:
            continue
        holders = np.unique(sentence[hits])
        df = len(holders)
        if df > max_share * n_sentences:  # in every 50th sentence: not evidence of anything
            continue
        match[holders] += math.log(1.0 + (n_sentences - df + 0.5) / (df + 0.5))
        for j in range(n):
            covered[hits + j] = True
    best = match.max()
    if best <= 0:
        return np.zeros(n_tokens, dtype=np.float32)
    share = (match / best) ** 2  # squared: a partial match (a shared name) counts little
    out: np.ndarray = np.where(covered, share[sentence], 0.0).astype(np.float32)
    return out


def question_prior(
    tokenizer: Any,
    doc_ids: np.ndarray,
    offsets: np.ndarray,
    question: Sequence[int],
    max_n: int = 4,
    max_share: float = 0.02,
) -> np.ndarray:
    """:func:`prior` from raw token ids (the document's and the question's)."""
    both = np.concatenate(
        [np.asarray(doc_ids, dtype=np.int64), np.asarray(question, dtype=np.int64)]
    )
    canon = canonical(tokenizer, both)
    word = [_is_word(tokenizer, t) for t in question]
    return prior(
        canon[: len(doc_ids)], offsets, canon[len(doc_ids) :].tolist(), word, max_n, max_share
    )
