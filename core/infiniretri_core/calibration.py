"""``layer="auto"``: pick the scoring layer per model from synthetic needle probes.

The paper scores with the last layer; small models retrieve far better from a middle layer
(SmolLM2-135M: layers ~17-23 of 30). Each probe is a filler text of about one chunk with
one fact sentence at a known depth, or (the *dense* probes, after RULER's
``niah_multikey_2``) a chunk made only of facts of one form with different keys, where
only the exact key tells the asked fact apart. Every global-attention layer is scored by
the reciprocal rank of the fact sentence under the paper's own scoring (smoothing, question
weighting), averaged over both kinds. Dense probes are there because the plain ones cannot
tell a layer that finds the key from one that finds the template: on SmolLM2-135M layers
15, 17 and 18 all rank plain needles first (MRR 0.94-0.96), while on these dense probes
layer 15 scores 0.23 and layer 18 0.47 (on the benchmark's RULER form, 0.15-0.17 and
0.88-1.0: ``docs/benchmarks.md``, "Dense RULER").
The earliest layer within ``TOLERANCE`` of the best mean reciprocal rank wins:
reading stops after the scoring layer, so an earlier layer is a faster one. The result is
cached per model as JSON (written atomically).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from . import probe, scoring
from .families import global_attention_layers
from .models import cache_dir
from .prompt import prompt_parts

if TYPE_CHECKING:
    from .engine import InfiniRetri

VERSION = 2
PROBES = 12
DENSE_PROBES = 12
CONTEXT_TOKENS = 1024
TOLERANCE = 0.02
DISTRACTORS = 3
SEED = 20250218

_SUBJECTS = [
    "the committee",
    "a young engineer",
    "the old ferryman",
    "my neighbour",
    "the city council",
    "a travelling merchant",
    "the librarian",
    "our team",
    "the harbour master",
    "a retired teacher",
    "the bakery owner",
    "the surveyor",
]
_VERBS = [
    "discussed",
    "repaired",
    "painted",
    "described",
    "questioned",
    "measured",
    "carried",
    "ignored",
    "praised",
    "rebuilt",
    "studied",
    "photographed",
]
_OBJECTS = [
    "the wooden bridge",
    "an unusual proposal",
    "the northern wall",
    "a broken clock",
    "the annual budget",
    "a set of maps",
    "the garden fence",
    "an old ledger",
    "the village school",
    "a crate of apples",
    "the river path",
    "a stack of letters",
]
_TAILS = [
    "before the winter came",
    "after a long argument",
    "with great care",
    "without telling anyone",
    "during the spring fair",
    "for the third time",
    "while it was raining",
    "in front of the station",
    "late in the evening",
    "as the market opened",
    "despite the cost",
    "on a quiet Sunday",
]
_REMARKS = [
    "Nobody expected it to take so long.",
    "It was, by most accounts, a modest success.",
    "Some people still talk about it.",
    "The work was slower than planned.",
    "Everyone agreed it had been worth the effort.",
    "Few records of it survive.",
    "It rained for most of the week.",
    "The details were written down later.",
]
_NAMES = [
    "Alvar",
    "Brenna",
    "Casimir",
    "Delphine",
    "Eamon",
    "Fenella",
    "Gideon",
    "Halvard",
    "Isolde",
    "Jovan",
    "Katrin",
    "Leopold",
    "Marisol",
    "Nikolai",
    "Odette",
    "Percival",
]
_THINGS = [
    "blue lantern",
    "silver compass",
    "clay whistle",
    "copper kettle",
    "glass owl",
    "iron key",
    "velvet hat",
    "paper kite",
]
_SURNAMES = [
    "Abbott",
    "Brandt",
    "Castell",
    "Dorsey",
    "Ekwall",
    "Farrugia",
    "Grennan",
    "Holloway",
    "Ingram",
    "Jessup",
    "Kovacs",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Pryce",
]
_PLACES = ["Lisbon", "Tromso", "Valparaiso", "Kyoto", "Tbilisi", "Reykjavik", "Cusco", "Hobart"]


def _filler(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return rng.choice(_REMARKS)
    s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
    return s[0].upper() + s[1:]


def _facts(rng: random.Random, i: int, n: int) -> tuple[list[str], str]:
    """``n`` facts of one template with different keys; the question asks for the first.

    The other facts are distractors sharing the question's words, as in RULER's multi-key
    task, so that a layer must find the right key, not just the template.
    """
    names, things, places = (rng.sample(pool, n) for pool in (_NAMES, _THINGS, _PLACES))
    numbers = rng.sample(range(10_000, 99_999), n)
    kind = i % 4
    facts = []
    for name, thing, place, number in zip(names, things, places, numbers, strict=True):
        facts.append(
            [
                f"The special magic number for {name} is {number}.",
                f"{name} keeps the {thing} in a drawer in {place}.",
                f"The best thing to do in {place} is to {rng.choice(_ACTIVITIES)}.",
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


_ACTIVITIES = [
    "walk along the harbour at dawn",
    "eat grilled fish by the old market",
    "climb the hill behind the cathedral",
    "take the night train to the coast",
    "swim in the cold lake before breakfast",
    "read in the botanical garden",
]


@dataclass(frozen=True)
class Calibration:
    layer: int
    mrr: dict[int, float]
    """Mean reciprocal rank per layer over all probes (what chooses the layer)."""
    probes: int
    version: int = VERSION
    by_kind: dict[str, dict[int, float]] | None = None
    """The same per probe kind (``needle``, ``dense``), for reports."""


Probe = tuple[list[list[int]], int, str]
"""Token ids per sentence, the asked fact's index, the question."""


def calibrate(
    engine: InfiniRetri, probes: int = PROBES, seed: int = SEED, dense: int = DENSE_PROBES
) -> Calibration:
    """Score every global-attention layer on synthetic needle and dense probes."""
    tok = engine.tokenizer
    layers = global_attention_layers(engine.model.config)
    rr: dict[str, dict[int, list[float]]] = {}
    for kind, cases in (
        ("needle", _needle_probes(tok, random.Random(seed), probes)),
        ("dense", _dense_probes(tok, random.Random(seed + 1), dense)),
    ):
        ranks: dict[int, list[float]] = {layer: [] for layer in layers}
        rr[kind] = ranks
        for sentences, needle_at, question in cases:
            for layer, rank in _ranks(engine, layers, sentences, needle_at, question).items():
                ranks[layer].append(1.0 / rank)
    by_kind = {k: {layer: float(np.mean(v)) for layer, v in r.items() if v} for k, r in rr.items()}
    mrr = {layer: float(np.mean([x for r in rr.values() for x in r[layer]])) for layer in layers}
    best = max(mrr.values())
    chosen = min(layer for layer, v in mrr.items() if v >= best - TOLERANCE)
    return Calibration(chosen, mrr, probes + dense, by_kind=by_kind)


def _ranks(
    engine: InfiniRetri,
    layers: list[int],
    sentences: list[list[int]],
    needle_at: int,
    question: str,
) -> dict[int, int]:
    """Rank (1 = first) of the asked sentence under each layer's paper scoring."""
    cfg = engine.config
    lengths = [len(s) for s in sentences]
    parts = prompt_parts(engine.tokenizer, cfg.prompt_template, question)
    input_ids, ctx, query_start = parts.build([t for s in sentences for t in s])
    with engine._lock:
        rows = probe.attention_rows(engine.model, input_ids, query_start, layers)
    owner = torch.from_numpy(np.repeat(np.arange(len(sentences)), lengths))
    ranks = {}
    for layer in layers:
        summed = rows[layer][0].sum(dim=0)
        weights = scoring.question_weights(summed, slice(query_start, None))
        scores = scoring.token_scores(summed, ctx, cfg.phrase_token_num, weights)
        peaks = scoring.sentence_peaks(scores, owner, len(sentences))
        ranks[layer] = int((peaks > peaks[needle_at]).sum()) + 1
    return ranks


def _needle_probes(tok: object, rng: random.Random, n: int) -> list[Probe]:
    found = []
    for i in range(n):
        facts, question = _facts(rng, i, DISTRACTORS + 1)
        sentences, needle_at = _probe_sentences(tok, rng, facts, depth=(i + 0.5) / n)
        found.append((sentences, needle_at, question))
    return found


def _dense_probes(tok: object, rng: random.Random, n: int) -> list[Probe]:
    """About ``CONTEXT_TOKENS`` of "The locker code of {first} {last} is {number}." with
    distinct keys; many share the asked key's first name or surname. A different form from
    the benchmark's RULER needles, so that the layer is not fitted to the benchmark."""
    keys = [(a, b) for a in _NAMES for b in _SURNAMES]
    found = []
    for i in range(n):
        chosen = rng.sample(keys, len(keys))
        sentences: list[list[int]] = []
        total = 0
        while total < CONTEXT_TOKENS and len(sentences) < len(chosen):
            first, last = chosen[len(sentences)]
            text = f" The locker code of {first} {last} is {rng.randrange(10_000, 99_999)}."
            sentences.append(list(tok(text, add_special_tokens=False)["input_ids"]))  # type: ignore[operator]
            total += len(sentences[-1])
        at = min(len(sentences) - 1, int((i + 0.5) / n * len(sentences)))
        first, last = chosen[at]
        found.append((sentences, at, f"What is the locker code of {first} {last}?"))
    return found


def filler_texts(tok: object, rng: random.Random) -> list[str]:
    """Filler sentences (each with its leading space) of about ``CONTEXT_TOKENS``."""
    texts: list[str] = []
    total = 0
    while total < CONTEXT_TOKENS:
        s = " " + _filler(rng)
        texts.append(s)
        total += len(tok(s, add_special_tokens=False)["input_ids"])  # type: ignore[operator]
    return texts


def _probe_sentences(
    tok: object, rng: random.Random, facts: list[str], depth: float
) -> tuple[list[list[int]], int]:
    """Filler of about ``CONTEXT_TOKENS`` with the needle (``facts[0]``) at ``depth`` and
    the distractors at random places; returns token ids per sentence and the needle index."""
    texts = filler_texts(tok, rng)
    marker = object()
    slots: list[object] = list(texts)
    slots.insert(min(len(slots), int(depth * len(slots))), marker)
    for fact in facts[1:]:
        slots.insert(rng.randrange(len(slots) + 1), " " + fact)
    at = slots.index(marker)
    slots[at] = " " + facts[0]
    texts = [str(x) for x in slots]
    ids = tok(texts, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
    return [list(x) for x in ids], at


def calibrated_layer(engine: InfiniRetri) -> int:
    """The cached calibration of this model, computed (and cached) on first use."""
    return cached_int(_cache_path(engine), VERSION, "layer", lambda: asdict(calibrate(engine)))


def cached_int(path: Path, version: int, key: str, compute: Callable[[], dict[str, Any]]) -> int:
    """``record[key]`` of the JSON record at ``path`` if it has this ``version``; else of
    ``compute()``'s record, written there atomically. An unreadable file is recomputed."""
    if path.is_file():
        try:
            data = json.loads(path.read_text())
            if data.get("version") == version:
                return int(data[key])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # unreadable cache: recompute
    record = compute()
    _atomic_write(path, json.dumps(record, indent=2))
    return int(record[key])


def _cache_path(engine: InfiniRetri) -> Path:
    model = engine.model
    key = json.dumps(
        {
            "name": str(getattr(model.config, "_name_or_path", "")),
            "config": model.config.to_json_string(use_diff=False),
            "dtype": str(next(model.parameters()).dtype),
            "template": engine.config.prompt_template,
            "phrase": engine.config.phrase_token_num,
            "probes": [PROBES, DENSE_PROBES, CONTEXT_TOKENS, SEED, TOLERANCE, DISTRACTORS],
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    stem = Path(str(getattr(model.config, "_name_or_path", "model"))).name or "model"
    return cache_dir() / "calibration" / f"{stem}-{digest}.json"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
