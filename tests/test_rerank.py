"""The cascade's ranker: a read's final cache ranked again, all of it in one forward, by an
engine of its own; keeping is the reader's, ranking (and so the writer's budget) the ranker's."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest
from infiniretri_core import InfiniRetri
from infiniretri_core.bench import compare
from infiniretri_core.rerank import RANKER_OPTIONS, rank_texts
from infiniretri_core.types import Evidence, Selection

FILLER = [
    f"The {w} committee met on a {d} to discuss the budget of the {p}."
    for w, d, p in zip(
        ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"],
        ["Monday", "Tuesday", "Friday", "Sunday", "Monday", "Thursday", "Friday", "Saturday"],
        ["library", "harbour", "school", "museum", "bridge", "market", "garden", "station"],
        strict=True,
    )
]
DOCUMENT = " ".join([*FILLER[:4], "The secret code of the vault is 7391.", *FILLER[4:]])
QUESTION = "What is the secret code of the vault?"


class ByPosition:
    """Ranks parts by position, the last one best: an order no attention would give."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str]] = []

    def select(self, document: Sequence[str], question: str) -> Selection:
        parts = list(document)
        self.calls.append((parts, question))
        evidence = [
            Evidence(t, 0, len(t), (i + 1) / len(parts), 0, i, i) for i, t in enumerate(parts)
        ]
        return Selection(evidence, 0, 0, 1, 0)


def _evidence(text: str, source: int, score: float) -> Evidence:
    return Evidence(text, 0, len(text), score, 0, source, source)


class Fixed:
    def __init__(self, evidence: list[Evidence]) -> None:
        self.evidence = evidence

    def select(self, document: Sequence[str], question: str) -> Selection:
        return Selection(self.evidence, 0, 0, 1, 0)


def test_each_text_scores_its_best_sentence_and_a_dropped_one_scores_lowest() -> None:
    ranker = Fixed([_evidence("a", 0, 0.2), _evidence("a2", 0, 0.5), _evidence("c", 2, 0.9)])
    scores = rank_texts(ranker, ["a a2", "b", "c"], "q")
    assert scores.tolist() == [0.5, -0.5, 0.9]
    assert rank_texts(ranker, [], "q").tolist() == []


def test_the_ranker_orders_the_cache_and_the_writer_follows(small: InfiniRetri) -> None:
    ranker = ByPosition()
    config = small.config.replace(top_k=64, answer_max_tokens=24)
    cascade = InfiniRetri(small.model, small.tokenizer, config, ranker=ranker)
    alone = InfiniRetri(small.model, small.tokenizer, config).select(DOCUMENT, QUESTION)
    selection, writer = cascade.select_for_writer(DOCUMENT, QUESTION)
    kept = [e.text for e in alone.evidence]
    assert len(kept) >= 3
    # the reader keeps, exactly as without a ranker; the ranker saw all of it, in order, once
    assert [e.text for e in selection.evidence] == kept
    assert ranker.calls == [(kept, QUESTION)]
    assert [e.score for e in selection.evidence] == pytest.approx(
        [(i + 1) / len(kept) for i in range(len(kept))]
    )
    # the writer's 24 tokens go to the ranker's best: the last kept sentence
    assert writer[-1].text == kept[-1]
    assert all(e.text != kept[0] for e in writer)


def test_a_real_ranker_reads_the_cache_in_one_step_and_ranks_the_needle_first(
    engine: InfiniRetri, small: InfiniRetri
) -> None:
    ranker = InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, **RANKER_OPTIONS)
    cascade = InfiniRetri(small.model, small.tokenizer, small.config, ranker=ranker)
    selection = cascade.select(DOCUMENT, QUESTION)
    texts = [e.text for e in selection.evidence]
    scores = rank_texts(ranker, texts, QUESTION)
    assert [e.score for e in selection.evidence] == pytest.approx(list(scores / scores.max()))
    assert "7391" in texts[int(np.argmax(scores))]
    assert ranker.select(texts, QUESTION).num_chunks == 1


def test_a_worker_process_loads_the_ranker_too(engine: InfiniRetri, small: InfiniRetri) -> None:
    ranker = InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, **RANKER_OPTIONS)
    cascade = InfiniRetri(small.model, small.tokenizer, small.config, ranker=ranker)
    job = json.loads(json.dumps(compare.engine_args(cascade)))  # what a worker is handed
    worker = InfiniRetri.from_portable(job)
    assert worker.ranker is not None and worker.ranker.model is not ranker.model
    assert worker.ranker.config == ranker.config
    assert worker.ranker.layer == ranker.layer
    assert worker.config == cascade.config
