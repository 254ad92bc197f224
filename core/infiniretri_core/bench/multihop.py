"""Two-hop questions: where a retriever that scores sentences against the question is blind.

A *bridge* sentence names an entity for what the question describes ("The night porter of the
museum is a man named Anselm Quist."); an *answer* sentence, elsewhere in the document, says
something about that entity alone ("Anselm Quist grew up in Ystad.") and shares no content
word with the question ("In which town did the night porter of the museum spend his
childhood?"). Only a reader that carries the bridge to the answer can keep both.
*Distractors* share the question's words but not the bridge: the same role at another
place, another role at the same place, each with an answer sentence of its own.

Everything is drawn from pools with a seed (role x place x name x relation x value: tens of
thousands of combinations), so a case is the same on every machine. Scoring is exact match
on the answer's value; retrieval recall is the share of the two hops in the writer's context.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from .cases import Case, sentence_ends
from .ruler import filler, needle_tokens


def _pool(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


_ROLES = _pool(
    "night porter, head gardener, chief archivist, ferry pilot, senior locksmith, "
    "lighthouse keeper, choir director, stable master, harbour clerk, bell ringer, "
    "map engraver, ice cutter, night nurse, wine steward, glass blower, clock mender",
    ", ",
)
_PLACES = _pool(
    "museum, observatory, old mill, river port, city library, botanical garden, cathedral, "
    "salt mine, opera house, railway depot, winter palace, fish market, paper factory, "
    "customs house, naval academy, silk exchange",
    ", ",
)
_FIRST = _pool(
    "Tobias Marit Oskar Ilse Casimir Ysolde Anselm Britta Evander Ottilie Lorcan Signe "
    "Thaddeus Wilhelmina Ambrose Greta Leopold Rosalind Ignatius Henrike"
)
_LAST = _pool(
    "Vollmer Quist Halloran Brandt Okafor Lindqvist Farrow Pelletier Marsh Kowalczyk Strand "
    "Achterberg Szabo Castellan Rourke Ferreira"
)


@dataclass(frozen=True)
class Relation:
    """What the answer sentence says about the bridge entity, and how the question asks it
    without any of the answer sentence's content words."""

    fact: str
    """Template with ``{name}`` and ``{value}``."""
    question: str
    """Template with ``{who}`` (``the {role} of the {place}``)."""
    values: tuple[str, ...]


RELATIONS = (
    Relation(
        "{name} grew up in {value}.",
        "In which town did {who} spend their childhood?",
        _pool(
            "Ystad Tarnow Kilkenny Brugge Aosta Tromso Zadar Colmar Sintra Bergamo Lviv Tartu "
            "Odense Graz Trieste Gdansk"
        ),
    ),
    Relation(
        "{name} plays the {value} every Sunday evening.",
        "Which musical instrument does {who} practise?",
        _pool("cello oboe harp bassoon accordion trombone zither viola"),
    ),
    Relation(
        "{name} owns a {value} that sleeps by the stove.",
        "What kind of pet does {who} keep?",
        _pool("ferret tortoise parrot greyhound iguana goat hedgehog peacock"),
    ),
    Relation(
        "{name} speaks fluent {value}.",
        "Which foreign tongue has {who} mastered?",
        _pool("Finnish Portuguese Hungarian Welsh Icelandic Tagalog Basque Swahili"),
    ),
    Relation(
        "{name} cooks {value} for friends on holidays.",
        "What dish does {who} like to serve?",
        (
            "mushroom risotto",
            "lamb stew",
            "herring salad",
            "pumpkin soup",
            "beef goulash",
            "lentil curry",
            "plum dumplings",
            "onion tart",
        ),
    ),
)


@dataclass(frozen=True)
class Variant:
    bridge_first: bool
    distractors: int
    """Distractor pairs: (role at another place | another role at the place) + its answer."""


TASKS: dict[str, Variant] = {
    "two_hop": Variant(bridge_first=True, distractors=0),
    "two_hop_reverse": Variant(bridge_first=False, distractors=0),
    "two_hop_distractors": Variant(bridge_first=True, distractors=6),
}


def _bridge(role: str, place: str, name: str) -> str:
    return f"The {role} of the {place} is a person named {name}."


def generate(task: str, tokenizer: Any, length: int, seed: int = 0) -> Case:
    """One two-hop case of about ``length`` tokens; the same ``seed`` gives the same case.

    The first hop sits in the first 10-40% of the document and the second in the last
    60-90% (reversed for ``two_hop_reverse``), so at 8k tokens and more they are chunks apart.
    """
    variant = TASKS.get(task)
    if variant is None:
        raise InputError(f"unknown two-hop task {task!r}; choose from {', '.join(TASKS)}")
    if length < 400:
        raise InputError(f"a two-hop case needs at least 400 tokens, got {length}")
    rng = random.Random(f"{task}:{length}:{seed}")
    relation = rng.choice(RELATIONS)
    roles = rng.sample(_ROLES, 1 + variant.distractors)
    places = rng.sample(_PLACES, 1 + variant.distractors)
    names = [
        f"{f} {last}"
        for f, last in zip(
            rng.sample(_FIRST, 1 + variant.distractors),
            rng.sample(_LAST, 1 + variant.distractors),
            strict=True,
        )
    ]
    values = rng.sample(relation.values, min(len(relation.values), 1 + variant.distractors))
    role, place, name, value = roles[0], places[0], names[0], values[0]
    bridge = _bridge(role, place, name)
    answer = relation.fact.format(name=name, value=value)
    extra: list[str] = []
    for i in range(1, 1 + variant.distractors):
        # the asked role at another place, or another role at the asked place
        d_role, d_place = (role, places[i]) if i % 2 else (roles[i], place)
        extra.append(_bridge(d_role, d_place, names[i]))
        extra.append(relation.fact.format(name=names[i], value=values[i % len(values)]))
    needles = [bridge, answer, *extra]
    text = filler(tokenizer, length - needle_tokens(tokenizer, needles))
    first, second = (bridge, answer) if variant.bridge_first else (answer, bridge)
    spots = sentence_ends(text)
    if len(spots) < len(needles) + 2:
        raise InputError("the haystack has too few sentences for this case")
    early = [s for s in spots if 0.1 <= s / len(text) <= 0.4] or spots[:1]
    late = [s for s in spots if 0.6 <= s / len(text) <= 0.9] or spots[-1:]
    placed = {rng.choice(early): first, rng.choice(late): second}
    free = [s for s in spots if s not in placed]
    for sentence, at in zip(extra, rng.sample(free, len(extra)), strict=True):
        placed[at] = sentence
    for at in sorted(placed, reverse=True):
        text = text[:at] + " " + placed[at] + text[at:]
    question = relation.question.format(who=f"the {role} of the {place}")
    return Case(
        task,
        f"{task}-{length}-s{seed}",
        length,
        text,
        question,
        (value,),
        (bridge, answer),
        "exact",
    )
