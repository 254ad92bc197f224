"""The synthetic probes both calibrations score on, and the settings that shape them.

A probe is a context of about ``context_tokens`` tokens, as token ids per sentence, the
index of the sentence a good scoring ranks first, and the question. Every builder draws from
the ``random.Random`` it is given, in a fixed order, so a seed gives the same probes (and the
same token ids) on every run: the calibrations' cache keys rely on it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .words import (
    ACTIVITIES,
    NAMES,
    OBJECTS,
    PLACES,
    REMARKS,
    ROOMS,
    SUBJECTS,
    SURNAMES,
    TAILS,
    THINGS,
    VERBS,
)


@dataclass(frozen=True)
class ProbeSettings:
    """Every setting that shapes the calibrations' probes, their choice or their records.

    The one place these live: the probes are drawn from it and the cache key hashes all of
    it (``store.cache_path``), so a setting cannot change without changing the key.
    """

    layer_version: int = 2
    """Version of the layer calibration's record (bump it when its method changes)."""
    needle_probes: int = 12
    """Needle probes of the layer calibration."""
    dense_probes: int = 12
    """Dense probes of the layer calibration."""
    seed: int = 20250218
    """Seed of the needle probes (the dense ones use ``seed + 1``)."""
    tolerance: float = 0.02
    """The layer calibration takes the earliest layer within this of the best mean
    reciprocal rank."""
    context_tokens: int = 1024
    """About how long each probe's context is (every kind)."""
    distractors: int = 3
    """Facts of the needle's form besides the needle, per needle probe."""
    link_version: int = 1
    """Version of the link-head calibration's record."""
    link_probes: int = 8
    """Two-hop probes of the link-head calibration."""
    link_seed: int = 20250219
    """Seed of the link probes."""
    distractor_pairs: int = 2
    """Bridge and answer pairs about other people, per link probe."""


SETTINGS = ProbeSettings()
"""The settings calibrations use (``Probing.settings`` defaults to it)."""

Probe = tuple[list[list[int]], int, str]
"""Token ids per sentence, the target sentence's index, the question."""


def filler_sentence(rng: random.Random) -> str:
    """One sentence of filler: a remark, or subject, verb, object and a tail."""
    if rng.random() < 0.25:
        return rng.choice(REMARKS)
    s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}."
    return s[0].upper() + s[1:]


def facts_and_question(rng: random.Random, i: int, n: int) -> tuple[list[str], str]:
    """``n`` facts of one template (the ``i % 4``-th) with different keys; the question asks
    for the first.

    The other facts are distractors sharing the question's words, as in RULER's multi-key
    task, so that a layer must find the right key, not just the template.
    """
    names, things, places = (rng.sample(pool, n) for pool in (NAMES, THINGS, PLACES))
    numbers = rng.sample(range(10_000, 99_999), n)
    kind = i % 4
    facts = []
    for name, thing, place, number in zip(names, things, places, numbers, strict=True):
        facts.append(
            [
                f"The special magic number for {name} is {number}.",
                f"{name} keeps the {thing} in a drawer in {place}.",
                f"The best thing to do in {place} is to {rng.choice(ACTIVITIES)}.",
                f"{name} was born in the small town of {place}.",
            ][kind]
        )
    question = [
        f"What is the special magic number for {names[0]}?",
        f"Where does {names[0]} keep the {things[0]}?",
        f"What is the best thing to do in {places[0]}?",
        f"Where was {names[0]} born?",
    ][kind]
    return facts, question


def filler_texts(tok: Any, rng: random.Random, settings: ProbeSettings = SETTINGS) -> list[str]:
    """Filler sentences (each with its leading space) of about ``context_tokens``."""
    texts: list[str] = []
    total = 0
    while total < settings.context_tokens:
        s = " " + filler_sentence(rng)
        texts.append(s)
        total += len(tok(s, add_special_tokens=False)["input_ids"])
    return texts


def probe_sentences(
    tok: Any,
    rng: random.Random,
    facts: list[str],
    depth: float,
    settings: ProbeSettings = SETTINGS,
) -> tuple[list[list[int]], int]:
    """Filler of about ``context_tokens`` with the needle (``facts[0]``) at ``depth`` and
    the distractors at random places; returns token ids per sentence and the needle index."""
    texts = filler_texts(tok, rng, settings)
    marker = object()
    slots: list[object] = list(texts)
    slots.insert(min(len(slots), int(depth * len(slots))), marker)
    for fact in facts[1:]:
        slots.insert(rng.randrange(len(slots) + 1), " " + fact)
    at = slots.index(marker)
    slots[at] = " " + facts[0]
    texts = [str(x) for x in slots]
    ids = tok(texts, add_special_tokens=False)["input_ids"]
    return [list(x) for x in ids], at


def needle_probes(
    tok: Any, rng: random.Random, n: int, settings: ProbeSettings = SETTINGS
) -> list[Probe]:
    """Filler with one fact and ``distractors`` like it; the asked fact's depth runs from
    near the start to near the end over the ``n`` probes."""
    found = []
    for i in range(n):
        facts, question = facts_and_question(rng, i, settings.distractors + 1)
        sentences, needle_at = probe_sentences(tok, rng, facts, (i + 0.5) / n, settings)
        found.append((sentences, needle_at, question))
    return found


def dense_probes(
    tok: Any, rng: random.Random, n: int, settings: ProbeSettings = SETTINGS
) -> list[Probe]:
    """About ``context_tokens`` of "The locker code of {first} {last} is {number}." with
    distinct keys; many share the asked key's first name or surname. A different form from
    the benchmark's RULER needles, so that the layer is not fitted to the benchmark."""
    keys = [(a, b) for a in NAMES for b in SURNAMES]
    found = []
    for i in range(n):
        chosen = rng.sample(keys, len(keys))
        sentences: list[list[int]] = []
        total = 0
        while total < settings.context_tokens and len(sentences) < len(chosen):
            first, last = chosen[len(sentences)]
            text = f" The locker code of {first} {last} is {rng.randrange(10_000, 99_999)}."
            sentences.append(list(tok(text, add_special_tokens=False)["input_ids"]))
            total += len(sentences[-1])
        at = min(len(sentences) - 1, int((i + 0.5) / n * len(sentences)))
        first, last = chosen[at]
        found.append((sentences, at, f"What is the locker code of {first} {last}?"))
    return found


def link_probes(
    tok: Any, rng: random.Random, n: int, settings: ProbeSettings = SETTINGS
) -> list[Probe]:
    """Filler of about one chunk with a bridge in the first half and the sentence
    about the bridge's person in the second, plus distractor pairs anywhere."""
    found = []
    for _ in range(n):
        k = 1 + settings.distractor_pairs
        firsts, lasts = rng.sample(NAMES, k), rng.sample(SURNAMES, k)
        things, rooms = rng.sample(THINGS, k), rng.sample(ROOMS, k)
        places = rng.sample(PLACES, k)
        people = [f"{a} {b}" for a, b in zip(firsts, lasts, strict=True)]
        bridges = [
            f" The {t} in the {r} was a gift from {p}."
            for t, r, p in zip(things, rooms, people, strict=True)
        ]
        answers = [f" {p} was born in {c}." for p, c in zip(people, places, strict=True)]
        texts = filler_texts(tok, rng, settings)
        n_fill = len(texts)
        bridge_at = int(rng.uniform(0.1, 0.4) * n_fill)
        answer_at = int(rng.uniform(0.6, 0.9) * n_fill)
        slots: list[str] = [*texts[:bridge_at], bridges[0], *texts[bridge_at:answer_at]]
        slots += [answers[0], *texts[answer_at:]]
        for j in range(1, k):  # a distractor's bridge always comes before its answer
            at = rng.randrange(len(slots))
            slots.insert(at, bridges[j])
            slots.insert(rng.randrange(at + 1, len(slots) + 1), answers[j])
        ids = tok(slots, add_special_tokens=False)["input_ids"]
        question = f"In which city was the person who gave the {things[0]} in the {rooms[0]} born?"
        found.append(([list(x) for x in ids], slots.index(answers[0]), question))
    return found


def sentence_owner(sentences: Sequence[Sequence[int]]) -> torch.Tensor:
    """(N,) each token's sentence, as a position in ``sentences``."""
    lengths = [len(s) for s in sentences]
    return torch.from_numpy(np.repeat(np.arange(len(sentences)), lengths))
