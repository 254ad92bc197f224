"""The read loop's observer (``Reader.read(..., on_step=...)``): one event per step, showing
the chunk read and each question's cache before and after, as the read itself keeps it."""

from __future__ import annotations

import dataclasses

from infiniretri_core import InfiniRetri, haystack
from infiniretri_core.chunking import pack
from infiniretri_core.reading import Reader, ReadSettings, StepEvent

QUESTIONS = [haystack.QUESTION, "What did the author learn about startups?"]


def _read(engine: InfiniRetri, text: str, passes: int) -> tuple[list[StepEvent], list[list[int]]]:
    settings = dataclasses.replace(ReadSettings.from_config(engine.config), passes=passes)
    reader = Reader(engine.model, engine.tokenizer, engine.lock, engine.pipeline, settings)
    events: list[StepEvent] = []
    parts = [engine.question_parts(q) for q in QUESTIONS]
    states = reader.read(engine.prepare(text), parts, None, None, None, on_step=events.append)
    return events, [s.cache for s in states]


def test_on_step_sees_each_step_once_with_the_caches_it_left(small: InfiniRetri) -> None:
    text = haystack.build(small.tokenizer, 600, 0.5)
    events, caches = _read(small, text, passes=1)
    chunks = [tuple(c) for c in pack(small.prepare(text).lengths.tolist(), 128)]
    assert len(chunks) > 2
    assert [e.index for e in events] == list(range(len(chunks)))
    assert [e.chunk for e in events] == chunks
    assert all(e.pass_index == 0 and e.tokens > 0 for e in events)
    for j, cache in enumerate(caches):
        steps = [e.questions[j] for e in events]
        assert steps[0].before == ()
        assert [s.before for s in steps[1:]] == [s.after for s in steps[:-1]]
        for e, s in zip(events, steps, strict=True):
            assert s.seen == (*s.before, *(i for i in e.chunk if i not in s.before))
            assert len(s.scores) == len(s.seen) and len(s.peaks) == len(s.after)
            score = dict(zip(s.seen, s.scores, strict=True))
            assert [score[i] for i in s.after] == list(s.peaks)  # keep="step": its step peak
        assert sorted(steps[-1].after) == cache
    # a reader built from the engine's public parts reads as the engine does
    sels = small.select_many(text, QUESTIONS)
    assert [[ev.sentence for ev in sel.evidence] for sel in sels] == caches


def test_a_second_pass_continues_the_count(small: InfiniRetri) -> None:
    text = haystack.build(small.tokenizer, 400, 0.5)
    events, _ = _read(small, text, passes=2)
    half = len(events) // 2
    assert [e.index for e in events] == list(range(2 * half))
    assert [e.pass_index for e in events] == [0] * half + [1] * half
    assert [e.chunk for e in events[:half]] == [e.chunk for e in events[half:]]
    assert events[half].questions[0].before == events[half - 1].questions[0].after
