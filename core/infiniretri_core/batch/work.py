"""One document's work: its questions answered over shared readings, as output lines.

A pure function of (engine, record, questions, settings): the in-process loop and the Ray
workers call the same code, so both modes give the same lines.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..engine import InfiniRetri
from ..errors import Cancelled, ConfigError
from .output import error_record, result_record
from .records import BatchRecord


@dataclass(frozen=True)
class BatchSettings:
    """How each document is answered."""

    questions_per_reading: int = 4
    """Questions sharing one reading (``answer_many``). Measured on a 16k haystack with 8
    facts: 4 per reading kept all 8, 8 per reading lost the earliest one (docs/benchmarks.md)."""
    max_new_tokens: int | None = None
    """Answer length; ``None``: the engine's ``max_new_tokens``."""

    def __post_init__(self) -> None:
        if isinstance(self.questions_per_reading, bool) or self.questions_per_reading < 1:
            raise ConfigError("questions_per_reading must be a positive integer")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise ConfigError("max_new_tokens must be a positive integer or None")


def answer_record(
    engine: InfiniRetri,
    record: BatchRecord,
    questions: Sequence[str],
    settings: BatchSettings,
) -> list[dict[str, Any]]:
    """A line per question: its answer with evidence, or the error that stopped it.

    A question the engine refuses (blank, too long for ``chunk_size``) fails alone; a
    document that cannot be read (unreadable, empty, over ``max_document_tokens``) fails
    every question left. Cancellation and interrupts propagate: nothing is written for them.
    """
    lines: list[dict[str, Any]] = []
    valid = []
    for q in questions:
        try:
            engine.question_parts(q)  # the engine's own question check, before any reading
        except Exception as exc:
            lines.append(error_record(record.id, q, exc))
        else:
            valid.append(q)
    try:
        text = record.load()
    except Exception as exc:
        return lines + [error_record(record.id, q, exc) for q in valid]
    n = settings.questions_per_reading
    for i in range(0, len(valid), n):
        group = valid[i : i + n]
        t0 = time.perf_counter()
        try:
            answers = engine.answer_many(text, group, max_new_tokens=settings.max_new_tokens)
        except Cancelled:
            raise
        except Exception as exc:  # the document itself: every question left fails with it
            return lines + [error_record(record.id, q, exc) for q in valid[i:]]
        seconds = time.perf_counter() - t0
        lines += [
            result_record(record.id, q, a, seconds, len(group))
            for q, a in zip(group, answers, strict=True)
        ]
    return lines
