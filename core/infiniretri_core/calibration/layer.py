"""``layer="auto"``: pick the scoring layer per model from synthetic needle probes.

The paper scores with the last layer; small models retrieve far better from a middle layer
(SmolLM2-135M: layers ~17-23 of 30). Each probe is a filler text of about one chunk with
one fact sentence at a known depth, or (the *dense* probes, after RULER's
``niah_multikey_2``) a chunk made only of facts of one form with different keys, where
only the exact key tells the asked fact apart. Every global-attention layer is scored by
the reciprocal rank of the fact sentence under the paper's own scoring (:class:`LayerSum`:
smoothing, question weighting), averaged over both kinds. Dense probes are there because
the plain ones cannot tell a layer that finds the key from one that finds the template: on
SmolLM2-135M layers 15, 17 and 18 all rank plain needles first (MRR 0.94-0.96), while on
these dense probes layer 15 scores 0.23 and layer 18 0.47 (on the benchmark's RULER form,
0.15-0.17 and 0.88-1.0: ``docs/benchmarks.md``, "Dense RULER").
The earliest layer within ``TOLERANCE`` of the best mean reciprocal rank wins:
reading stops after the scoring layer, so an earlier layer is a faster one. The result is
cached per model as JSON (written atomically).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .. import families, probe
from ..prompt import prompt_parts
from ..scoring.base import QuestionRows
from ..scoring.layer_sum import LayerSum
from ..scoring.phrase import rank_of, sentence_peaks
from .probes import (
    DENSE_PROBES,
    PROBES,
    SEED,
    TOLERANCE,
    Probe,
    dense_probes,
    needle_probes,
    sentence_owner,
)
from .store import cache_path, cached_int

VERSION = 2


@dataclass(frozen=True)
class Calibration:
    layer: int
    mrr: dict[int, float]
    """Mean reciprocal rank per layer over all probes (what chooses the layer)."""
    probes: int
    version: int = VERSION
    by_kind: dict[str, dict[int, float]] | None = None
    """The same per probe kind (``needle``, ``dense``), for reports."""


def calibrate(
    model: Any,
    tokenizer: Any,
    template: str,
    phrase_token_num: int,
    lock: threading.RLock,
    probes: int = PROBES,
    seed: int = SEED,
    dense: int = DENSE_PROBES,
) -> Calibration:
    """Score every global-attention layer on synthetic needle and dense probes.

    ``lock`` is held around each forward pass of ``model``.
    """
    layers = families.global_attention_layers(model)
    rr: dict[str, dict[int, list[float]]] = {}
    for kind, cases in (
        ("needle", needle_probes(tokenizer, random.Random(seed), probes)),
        ("dense", dense_probes(tokenizer, random.Random(seed + 1), dense)),
    ):
        ranks: dict[int, list[float]] = {layer: [] for layer in layers}
        rr[kind] = ranks
        for case in cases:
            found = _ranks(model, tokenizer, template, phrase_token_num, lock, layers, case)
            for layer, rank in found.items():
                ranks[layer].append(1.0 / rank)
    by_kind = {k: {layer: float(np.mean(v)) for layer, v in r.items() if v} for k, r in rr.items()}
    mrr = {layer: float(np.mean([x for r in rr.values() for x in r[layer]])) for layer in layers}
    best = max(mrr.values())
    chosen = min(layer for layer, v in mrr.items() if v >= best - TOLERANCE)
    return Calibration(chosen, mrr, probes + dense, by_kind=by_kind)


def _ranks(
    model: Any,
    tokenizer: Any,
    template: str,
    phrase_token_num: int,
    lock: threading.RLock,
    layers: list[int],
    case: Probe,
) -> dict[int, int]:
    """Rank (1 = first) of the asked sentence under each layer's paper scoring."""
    sentences, needle_at, question = case
    parts = prompt_parts(tokenizer, template, question)
    input_ids, ctx, query_start = parts.build([t for s in sentences for t in s])
    with lock:
        rows = probe.attention_rows(model, input_ids, query_start, layers)
    owner = sentence_owner(sentences)
    ranks = {}
    for layer in layers:
        q = QuestionRows(
            rows={layer: rows[layer][0]}, query_cols=slice(query_start, None), context_cols=ctx
        )
        scores = LayerSum(layer, phrase_token_num, True).score(q)
        ranks[layer] = rank_of(sentence_peaks(scores, owner, len(sentences)), needle_at)
    return ranks


def calibrated_layer(
    model: Any, tokenizer: Any, template: str, phrase_token_num: int, lock: threading.RLock
) -> int:
    """The cached calibration of this model, computed (and cached) on first use."""
    return cached_int(
        cache_path(model, template, phrase_token_num),
        VERSION,
        "layer",
        lambda: asdict(calibrate(model, tokenizer, template, phrase_token_num, lock)),
    )
