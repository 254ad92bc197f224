"""``link_head="auto"``: pick the link head of the scoring layer from synthetic two-hop probes.

Each probe is about one chunk of filler with a bridge sentence early ("The glass owl in the
attic was a gift from Isolde Novak."), a sentence about that person alone later ("Isolde
Novak was born in Hobart."), and distractor pairs of the same form about other people. Every
head of the scoring layer is scored by the reciprocal rank of the answer sentence under
its link score alone (``scoring/link.py``); the best mean wins, the lowest index on ties.
The forms differ from the benchmark's two-hop cases (``bench/multihop.py``), so the head is
not fitted to the benchmark. The result is cached per model and layer as JSON, beside the
layer calibration's file.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import numpy as np

from .. import probe
from ..prompt import prompt_parts
from ..scoring.base import QuestionRows
from ..scoring.layer_sum import LayerSum
from ..scoring.link import link_scores, sentence_mass
from ..scoring.phrase import rank_of, sentence_peaks
from .probes import Probe, link_probes, sentence_owner
from .store import cache_path, cached_int

VERSION = 1
PROBES = 8
SEED = 20250219


def calibrate_link(
    model: Any,
    tokenizer: Any,
    template: str,
    phrase_token_num: int,
    lock: threading.RLock,
    layer: int,
    probes: int = PROBES,
    seed: int = SEED,
) -> dict[int, float]:
    """Mean reciprocal rank of the answer sentence per head of ``layer``.

    ``lock`` is held around each forward pass of ``model``.
    """
    rr: dict[int, list[float]] = {}
    for case in link_probes(tokenizer, random.Random(seed), probes):
        found = _ranks(model, tokenizer, template, phrase_token_num, lock, layer, case)
        for head, rank in found.items():
            rr.setdefault(head, []).append(1.0 / rank)
    return {head: float(np.mean(v)) for head, v in rr.items()}


def _ranks(
    model: Any,
    tokenizer: Any,
    template: str,
    phrase_token_num: int,
    lock: threading.RLock,
    layer: int,
    case: Probe,
) -> dict[int, int]:
    """Rank (1 = first) of the answer sentence under each head's link score."""
    sentences, answer_at, question = case
    parts = prompt_parts(tokenizer, template, question)
    input_ids, ctx, query_start = parts.build([t for s in sentences for t in s])
    with lock:  # every row from the context on: the heads' context-by-context attention
        rows = probe.attention_rows(model, input_ids, ctx.start, [layer])[layer][0]
    q = QuestionRows(
        rows={layer: rows[:, query_start - ctx.start :]},
        query_cols=slice(query_start, None),
        context_cols=ctx,
    )
    scores = LayerSum(layer, phrase_token_num, True).score(q)
    owner = sentence_owner(sentences)
    n_ctx = ctx.stop - ctx.start
    ranks = {}
    for head in range(rows.shape[0]):
        mass = sentence_mass(rows[head, :n_ctx, ctx], owner, len(sentences))
        linked = link_scores(mass, scores, owner)
        ranks[head] = rank_of(sentence_peaks(linked, owner, len(sentences)), answer_at)
    return ranks


def calibrated_link_head(
    model: Any,
    tokenizer: Any,
    template: str,
    phrase_token_num: int,
    lock: threading.RLock,
    layer: int,
) -> int:
    """The cached choice for this model and layer, computed (and cached) on first use."""
    path = cache_path(model, template, phrase_token_num)

    def record() -> dict[str, Any]:
        mrr = calibrate_link(model, tokenizer, template, phrase_token_num, lock, layer)
        best = max(mrr.values())
        head = min(h for h, v in mrr.items() if v >= best)
        return {"version": VERSION, "layer": layer, "head": head, "mrr": mrr}

    return cached_int(path.with_name(f"{path.stem}-link-l{layer}.json"), VERSION, "head", record)
