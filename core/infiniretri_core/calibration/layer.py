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
The earliest layer within ``tolerance`` of the best mean reciprocal rank wins:
reading stops after the scoring layer, so an earlier layer is a faster one. The result is
cached per model as JSON (written atomically).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

import numpy as np

from .. import families
from ..scoring.phrase import rank_of, sentence_peaks
from .probes import dense_probes, needle_probes, sentence_owner
from .probing import Probing
from .store import cache_path, cached_int


@dataclass(frozen=True)
class Calibration:
    layer: int
    mrr: dict[int, float]
    """Mean reciprocal rank per layer over all probes (what chooses the layer)."""
    probes: int
    version: int
    """``ProbeSettings.layer_version`` of the settings it was made with."""
    by_kind: dict[str, dict[int, float]] | None = None
    """The same per probe kind (``needle``, ``dense``), for reports."""


def calibrate(
    probing: Probing, probes: int | None = None, seed: int | None = None, dense: int | None = None
) -> Calibration:
    """Score every global-attention layer on synthetic needle and dense probes (as many, and
    drawn as, ``probing.settings`` says, unless given)."""
    cfg = probing.settings
    probes = cfg.needle_probes if probes is None else probes
    dense = cfg.dense_probes if dense is None else dense
    seed = cfg.seed if seed is None else seed
    layers = families.global_attention_layers(probing.model)
    tokenizer = probing.tokenizer
    rr: dict[str, dict[int, list[float]]] = {}
    for kind, cases in (
        ("needle", needle_probes(tokenizer, random.Random(seed), probes, cfg)),
        ("dense", dense_probes(tokenizer, random.Random(seed + 1), dense, cfg)),
    ):
        ranks: dict[int, list[float]] = {layer: [] for layer in layers}
        rr[kind] = ranks
        for sentences, needle_at, question in cases:
            rows, ctx, query_start = probing.capture(sentences, question, layers, False)
            owner = sentence_owner(sentences)
            for layer in layers:
                scores = probing.paper_scores(layer, rows[layer], ctx, query_start)
                peaks = sentence_peaks(scores, owner, len(sentences))
                ranks[layer].append(1.0 / rank_of(peaks, needle_at))
    by_kind = {k: {layer: float(np.mean(v)) for layer, v in r.items() if v} for k, r in rr.items()}
    mrr = {layer: float(np.mean([x for r in rr.values() for x in r[layer]])) for layer in layers}
    best = max(mrr.values())
    chosen = min(layer for layer, v in mrr.items() if v >= best - cfg.tolerance)
    return Calibration(chosen, mrr, probes + dense, cfg.layer_version, by_kind)


def calibrated_layer(probing: Probing) -> int:
    """The cached calibration of this model, computed (and cached) on first use."""
    return cached_int(
        cache_path(probing),
        probing.settings.layer_version,
        "layer",
        lambda: asdict(calibrate(probing)),
    )
