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
from pathlib import Path
from typing import Any

import numpy as np

from ..scoring.link import link_scores, sentence_mass
from ..scoring.phrase import rank_of, sentence_peaks
from .probes import link_probes, sentence_owner
from .probing import Probing
from .store import cache_path, cached_int


def calibrate_link(
    probing: Probing, layer: int, probes: int | None = None, seed: int | None = None
) -> dict[int, float]:
    """Mean reciprocal rank of the answer sentence per head of ``layer`` (over as many
    probes, drawn as, ``probing.settings`` says, unless given)."""
    cfg = probing.settings
    probes = cfg.link_probes if probes is None else probes
    rng = random.Random(cfg.link_seed if seed is None else seed)
    rr: dict[int, list[float]] = {}
    for sentences, answer_at, question in link_probes(probing.tokenizer, rng, probes, cfg):
        # every row from the context on: the heads' context-by-context attention
        captured, ctx, query_start = probing.capture(sentences, question, [layer], True)
        rows = captured[layer]
        scores = probing.paper_scores(layer, rows[:, query_start - ctx.start :], ctx, query_start)
        owner = sentence_owner(sentences)
        n_ctx = ctx.stop - ctx.start
        for head in range(rows.shape[0]):
            mass = sentence_mass(rows[head, :n_ctx, ctx], owner, len(sentences))
            linked = link_scores(mass, scores, owner)
            rank = rank_of(sentence_peaks(linked, owner, len(sentences)), answer_at)
            rr.setdefault(head, []).append(1.0 / rank)
    return {head: float(np.mean(v)) for head, v in rr.items()}


def calibrated_link_head(probing: Probing, layer: int) -> int:
    """The cached choice for this model and layer, computed (and cached) on first use."""
    path = link_cache_path(probing, layer)
    version = probing.settings.link_version

    def record() -> dict[str, Any]:
        mrr = calibrate_link(probing, layer)
        best = max(mrr.values())
        head = min(h for h, v in mrr.items() if v >= best)
        return {"version": version, "layer": layer, "head": head, "mrr": mrr}

    return cached_int(path, version, "head", record)


def link_cache_path(probing: Probing, layer: int) -> Path:
    """Where the link head of ``layer`` is kept: beside the layer calibration, under the
    same key (every probe setting, the link probes' included)."""
    path = cache_path(probing)
    return path.with_name(f"{path.stem}-link-l{layer}.json")
