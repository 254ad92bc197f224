"""One benchmark case (a document, a question, what the answer must hold) and its scores.

NIH cases and every RULER task share this shape, so every peer runs on the same cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from .. import haystack
from ..errors import InputError

Scoring = Literal["word_recall", "exact"]


@dataclass(frozen=True)
class Case:
    task: str
    """``niah`` or a RULER task name."""
    name: str
    """Unique within a run, e.g. ``multi_key-8000-s1``."""
    length: int
    """Target document length in tokens."""
    document: str
    question: str
    expected: tuple[str, ...]
    """What the answer must contain (NIH: the needle sentence, scored by word recall)."""
    needles: tuple[str, ...]
    """The sentences a reader needs; retrieval recall is the share of them in the context."""
    scoring: Scoring = "exact"

    def score(self, answer: str) -> float:
        """NIH: the authors' word recall. RULER: share of expected values found verbatim."""
        if self.scoring == "word_recall":
            return haystack.word_recall(answer, self.expected[0])
        low = answer.lower()
        return sum(v.lower() in low for v in self.expected) / len(self.expected)

    def recall(self, context: str) -> float:
        """Share of the needed needle sentences present in ``context`` (whitespace-blind)."""
        flat = _flat(context)
        return sum(_flat(n) in flat for n in self.needles) / len(self.needles)

    def hits(self, texts: Sequence[str]) -> list[set[int]]:
        """For each needed sentence, the positions of ``texts`` that hold it or lie inside it
        (a retrieval unit may be cut finer than the gold sentence; whitespace-blind)."""
        flats = [_flat(t) for t in texts]
        return [
            {i for i, t in enumerate(flats) if n in t or (len(t) > 30 and t in n)}
            for n in map(_flat, self.needles)
        ]

    def mrr(self, ranked: Sequence[str]) -> float:
        """Mean over the needed sentences of 1 / the rank of the first of ``ranked`` (best
        first) that holds it (0 if none): the ranking, apart from keeping."""
        ranks = [min(h, default=None) for h in self.hits(ranked)]
        return sum(0.0 if r is None else 1.0 / (r + 1) for r in ranks) / len(self.needles)

    def describe(self) -> dict[str, Any]:
        """The case without its document (for results files)."""
        d = asdict(self)
        del d["document"]
        return d


def _flat(text: str) -> str:
    return " ".join(text.split())


def niah_case(tokenizer: Any, length: int, depth: int) -> Case:
    """The paper's NIH cell as a case (needle at the sentence boundary nearest ``depth`` %)."""
    if not 0 <= depth <= 100:
        raise InputError(f"depth must be in 0..100, got {depth}")
    doc = haystack.build(tokenizer, length, depth / 100)
    return Case(
        "niah",
        f"niah-{length}-d{depth}",
        length,
        doc,
        haystack.QUESTION,
        (haystack.NEEDLE,),
        (haystack.NEEDLE,),
        "word_recall",
    )


def sentence_ends(text: str) -> list[int]:
    """Offsets just after a sentence's final punctuation (where a needle may go)."""
    return [m.end() for m in re.finditer(r"[.?!](?=\s)", text)]
