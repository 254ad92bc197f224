"""``link_head="auto"``: pick the link head of the scoring layer from synthetic two-hop probes.

Each probe is about one chunk of filler with a bridge sentence early ("The glass owl in the
attic was a gift from Isolde Novak."), a sentence about that person alone later ("Isolde
Novak was born in Hobart."), and distractor pairs of the same form about other people. Every
head of the scoring layer is scored by the reciprocal rank of the answer sentence under
its link score alone (``link.py``); the best mean wins, the lowest index on ties. The forms
differ from the benchmark's two-hop cases (``bench/multihop.py``), so the head is not
fitted to the benchmark. The result is cached per model and layer as JSON.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from . import link, probe, scoring
from .calibration import (
    _NAMES,
    _PLACES,
    _SURNAMES,
    _THINGS,
    _cache_path,
    cached_int,
    filler_texts,
)
from .prompt import prompt_parts

if TYPE_CHECKING:
    from .engine import InfiniRetri

VERSION = 1
PROBES = 8
DISTRACTOR_PAIRS = 2
SEED = 20250219
_ROOMS = ["attic", "hallway", "study", "kitchen", "cellar", "library", "garden shed", "parlour"]

Probe = tuple[list[list[int]], int, str]
"""Token ids per sentence, the answer sentence's index, the question."""


def calibrate_link(engine: InfiniRetri, probes: int = PROBES, seed: int = SEED) -> dict[int, float]:
    """Mean reciprocal rank of the answer sentence per head of the engine's layer."""
    rr: dict[int, list[float]] = {}
    for sentences, answer_at, question in link_probes(
        engine.tokenizer, random.Random(seed), probes
    ):
        for head, rank in _ranks(engine, sentences, answer_at, question).items():
            rr.setdefault(head, []).append(1.0 / rank)
    return {head: float(np.mean(v)) for head, v in rr.items()}


def _ranks(
    engine: InfiniRetri, sentences: list[list[int]], answer_at: int, question: str
) -> dict[int, int]:
    cfg = engine.config
    layer = engine.layer
    parts = prompt_parts(engine.tokenizer, cfg.prompt_template, question)
    input_ids, ctx, query_start = parts.build([t for s in sentences for t in s])
    with engine._lock:
        rows = probe.attention_rows(engine.model, input_ids, ctx.start, [layer])[layer][0]
    summed = rows[:, query_start - ctx.start :].sum(dim=0)
    weights = scoring.question_weights(summed, slice(query_start, None))
    scores = scoring.token_scores(summed, ctx, cfg.phrase_token_num, weights)
    owner = torch.from_numpy(np.repeat(np.arange(len(sentences)), [len(s) for s in sentences]))
    n_ctx = ctx.stop - ctx.start
    ranks = {}
    for head in range(rows.shape[0]):
        mass = link.sentence_mass(rows[head, :n_ctx, ctx], owner, len(sentences))
        linked = link.link_scores(mass, scores, owner)
        peaks = scoring.sentence_peaks(linked, owner, len(sentences))
        ranks[head] = int((peaks > peaks[answer_at]).sum()) + 1
    return ranks


def link_probes(tok: object, rng: random.Random, n: int) -> list[Probe]:
    """Filler of about one chunk with a bridge in the first half and the sentence
    about the bridge's person in the second, plus distractor pairs anywhere."""
    found = []
    for _ in range(n):
        k = 1 + DISTRACTOR_PAIRS
        firsts, lasts = rng.sample(_NAMES, k), rng.sample(_SURNAMES, k)
        things, rooms = rng.sample(_THINGS, k), rng.sample(_ROOMS, k)
        places = rng.sample(_PLACES, k)
        people = [f"{a} {b}" for a, b in zip(firsts, lasts, strict=True)]
        bridges = [
            f" The {t} in the {r} was a gift from {p}."
            for t, r, p in zip(things, rooms, people, strict=True)
        ]
        answers = [f" {p} was born in {c}." for p, c in zip(people, places, strict=True)]
        texts = filler_texts(tok, rng)
        n_fill = len(texts)
        bridge_at = int(rng.uniform(0.1, 0.4) * n_fill)
        answer_at = int(rng.uniform(0.6, 0.9) * n_fill)
        slots: list[str] = [*texts[:bridge_at], bridges[0], *texts[bridge_at:answer_at]]
        slots += [answers[0], *texts[answer_at:]]
        for j in range(1, k):  # a distractor's bridge always comes before its answer
            at = rng.randrange(len(slots))
            slots.insert(at, bridges[j])
            slots.insert(rng.randrange(at + 1, len(slots) + 1), answers[j])
        ids = tok(slots, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
        question = f"In which city was the person who gave the {things[0]} in the {rooms[0]} born?"
        found.append(([list(x) for x in ids], slots.index(answers[0]), question))
    return found


def calibrated_link_head(engine: InfiniRetri) -> int:
    """The cached choice for this model and layer, computed (and cached) on first use."""
    path = _cache_path(engine)
    return cached_int(
        path.with_name(f"{path.stem}-link-l{engine.layer}.json"),
        VERSION,
        "head",
        lambda: _record(engine),
    )


def _record(engine: InfiniRetri) -> dict[str, Any]:
    mrr = calibrate_link(engine)
    best = max(mrr.values())
    head = min(h for h, v in mrr.items() if v >= best)
    return {"version": VERSION, "layer": engine.layer, "head": head, "mrr": mrr}
