"""RULER-style synthetic retrieval tasks over the essay haystack (Hsieh et al., 2024).

Needles of one form, "The special magic number for {key} is: {value}.", are put at random
sentence boundaries chosen with a seed, so a case is the same on every machine. Scoring is
RULER's string match: the share of expected values found verbatim in the answer.

The ``*_dense`` tasks are RULER's hardest needle variants (``niah_multikey_2/3``): the
haystack itself is made of needles of the same form with other keys, so every sentence
looks like the answer to a retriever that ranks sentences by their likeness to the question,
and only the exact key tells them apart.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import haystack
from ..errors import InputError
from .cases import Case, sentence_ends

_WORDS = """
ancient bitter brave calm clever crimson damp eager faint fierce gentle golden hollow humble icy
jolly keen lively lonely mellow misty noisy odd pale proud quiet rapid rusty silent sleepy sturdy
| anchor badger beacon canyon cellar comet donkey falcon ferry glacier harbor helmet island kettle
lantern meadow mirror monkey nectar orchard otter pebble pigeon quarry ribbon saddle spider tunnel
"""
_ADJECTIVES, _NOUNS = (tuple(part.split()) for part in _WORDS.split("|"))
"""Keys are adjective-noun pairs, as RULER's word keys."""


@dataclass(frozen=True)
class Task:
    """A task's needle shape: how many needles, how many keys are asked, the value kind."""

    keys: int
    """Distinct keys in the document (one asked, the rest distractors, unless multi-query)."""
    values_per_key: int
    asked: int
    """Keys named in the question."""
    kind: str
    """``number`` (7 digits) or ``uuid``."""
    dense: bool = False
    """The haystack is distractor needles (other keys, same form) instead of essays."""
    key_kind: str = "word"
    """``word`` (adjective-noun, as RULER's word keys) or ``uuid``."""


TASKS: dict[str, Task] = {
    "single_number": Task(keys=1, values_per_key=1, asked=1, kind="number"),
    "single_uuid": Task(keys=1, values_per_key=1, asked=1, kind="uuid"),
    "multi_key": Task(keys=4, values_per_key=1, asked=1, kind="number"),
    "multi_value": Task(keys=1, values_per_key=3, asked=1, kind="number"),
    "multi_query": Task(keys=2, values_per_key=1, asked=2, kind="number"),
    "multi_key_dense": Task(keys=1, values_per_key=1, asked=1, kind="number", dense=True),
    "multi_key_uuid_dense": Task(
        keys=1, values_per_key=1, asked=1, kind="uuid", dense=True, key_kind="uuid"
    ),
    "multi_query_dense": Task(keys=4, values_per_key=1, asked=4, kind="number", dense=True),
}


def needle(key: str, value: str, kind: str = "number") -> str:
    return f"The special magic {kind} for {key} is: {value}."


def _value(rng: random.Random, kind: str) -> str:
    if kind == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return str(rng.randint(1_000_000, 9_999_999))


def _question(keys: Sequence[str], kind: str, many_values: bool) -> str:
    if len(keys) > 1:
        names = ", ".join(keys[:-1]) + f" and {keys[-1]}"
        return f"What are the special magic {kind}s for {names} mentioned in the provided text?"
    if many_values:
        return (
            f"What are all the special magic {kind}s for {keys[0]} mentioned in the provided text?"
        )
    return f"What is the special magic {kind} for {keys[0]} mentioned in the provided text?"


def filler(tokenizer: Any, n_tokens: int) -> str:
    """About ``n_tokens`` of essay text (the essays repeat if needed)."""
    ids: list[int] = tokenizer(haystack.essays(), add_special_tokens=False)["input_ids"]
    while len(ids) < n_tokens:
        ids = ids + ids
    return str(tokenizer.decode(ids[: max(1, n_tokens)]))


def needle_tokens(tokenizer: Any, needles: Sequence[str]) -> int:
    """Tokens the needles add to a haystack (each after a space), to size the filler."""
    return sum(len(tokenizer(" " + s, add_special_tokens=False)["input_ids"]) for s in needles)


def insert(text: str, needles: Sequence[str], rng: random.Random) -> str:
    """Put each needle after a distinct sentence end (or at the very start) of ``text``."""
    spots = [0, *sentence_ends(text)]
    if len(spots) < len(needles):
        raise InputError(f"the haystack has fewer sentences than the {len(needles)} needles")
    chosen = sorted(rng.sample(spots, len(needles)), reverse=True)
    order = list(needles)
    rng.shuffle(order)
    for at, sentence in zip(chosen, order, strict=True):
        text = (sentence + " " + text) if at == 0 else (text[:at] + " " + sentence + text[at:])
    return text


def generate(task: str, tokenizer: Any, length: int, seed: int = 0) -> Case:
    """One case of ``task`` of about ``length`` tokens; the same ``seed`` gives the same case."""
    spec = TASKS.get(task)
    if spec is None:
        raise InputError(f"unknown RULER task {task!r}; choose from {', '.join(TASKS)}")
    if length < 200:
        raise InputError(f"a RULER case needs at least 200 tokens, got {length}")
    rng = random.Random(f"{task}:{length}:{seed}")
    keys = _keys(rng, spec.key_kind, spec.keys)
    facts = {k: [_value(rng, spec.kind) for _ in range(spec.values_per_key)] for k in keys}
    asked = keys[: spec.asked]
    all_needles = [needle(k, v, spec.kind) for k in keys for v in facts[k]]
    needed = tuple(needle(k, v, spec.kind) for k in asked for v in facts[k])
    budget = length - needle_tokens(tokenizer, all_needles)
    if spec.dense:
        document = _dense(tokenizer, budget, all_needles, set(keys), spec, rng)
    else:
        document = insert(filler(tokenizer, budget), all_needles, rng)
    return Case(
        task,
        f"{task}-{length}-s{seed}",
        length,
        document,
        _question(asked, spec.kind, spec.values_per_key > 1),
        tuple(v for k in asked for v in facts[k]),
        needed,
        "exact",
    )


def _keys(rng: random.Random, kind: str, n: int, taken: set[str] | None = None) -> list[str]:
    """``n`` distinct keys not in ``taken``."""
    taken = taken or set()
    if kind == "uuid":
        keys: list[str] = []
        while len(keys) < n:
            key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if key not in taken and key not in keys:
                keys.append(key)
        return keys
    pairs = [f"{a}-{b}" for a in _ADJECTIVES for b in _NOUNS]
    free = [p for p in pairs if p not in taken]
    if len(free) < n:
        raise InputError(
            f"only {len(pairs)} word keys exist; this length needs {n + len(taken)} "
            "(use a uuid-key task for longer documents)"
        )
    return rng.sample(free, n)


def _dense(
    tokenizer: Any,
    budget: int,
    needles: list[str],
    keys: set[str],
    spec: Task,
    rng: random.Random,
) -> str:
    """``needles`` among distractor needles of other keys, about ``budget`` tokens of them."""
    probe = needle(_keys(random.Random(0), spec.key_kind, 1)[0], _value(rng, spec.kind), spec.kind)
    per = max(1, needle_tokens(tokenizer, [probe]))
    others = _keys(rng, spec.key_kind, max(0, budget // per), keys)
    sentences = [needle(k, _value(rng, spec.kind), spec.kind) for k in others]
    for sentence in needles:
        sentences.insert(rng.randint(0, len(sentences)), sentence)
    return " ".join(sentences)


def parse_tasks(text: str) -> list[str]:
    """``"multi_key,multi_query"`` -> task names (``all`` for every task)."""
    names = [x.strip() for x in text.split(",") if x.strip()]
    if names == ["all"]:
        return list(TASKS)
    bad = [n for n in names if n not in TASKS]
    if bad or not names:
        raise InputError(f"unknown RULER task(s) {bad or text!r}; choose from {', '.join(TASKS)}")
    return names
