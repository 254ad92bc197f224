"""``run``: the batch job, in-process by default or on Ray, and what it reports."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine import InfiniRetri
from ..errors import ConfigError
from .output import ResultFile
from .records import BatchRecord, RecordId, check_unique, record_from_dict
from .spec import EngineFactory, EngineSpec, RayOptions
from .work import BatchSettings, answer_record

__all__ = ["EngineFactory", "EngineSpec", "RayOptions", "Summary", "pending_work", "run"]


@dataclass(frozen=True)
class Summary:
    documents: int
    """Documents in the input."""
    skipped: int
    """Documents whose every question was already in the output (a resumed run)."""
    processed: int
    failed: int
    """Processed documents with at least one error line."""
    answers: int
    errors: int
    tokens_read: int
    seconds: float
    mode: str

    @property
    def documents_per_hour(self) -> float:
        return 3600 * self.processed / self.seconds if self.seconds else 0.0

    def __str__(self) -> str:
        return (
            f"{self.processed} documents processed ({self.skipped} already done, "
            f"{self.failed} with errors) of {self.documents}; {self.answers} answers, "
            f"{self.errors} error lines; {self.tokens_read:,} tokens read in "
            f"{self.seconds:.1f} s ({self.documents_per_hour:.1f} documents/hour, {self.mode})"
        )


class _Tally:
    """Writes lines as they come and counts per document (a document is done when all its
    pending questions have a line)."""

    def __init__(self, out: ResultFile, pending: dict[RecordId, int], progress: bool) -> None:
        from tqdm import tqdm

        self.out = out
        self.left = dict(pending)
        self.failed: set[RecordId] = set()
        self.read: set[RecordId] = set()
        self.answers = self.errors = self.tokens = 0
        self.bar = tqdm(
            total=len(pending), unit="doc", desc="documents", disable=not progress, file=sys.stderr
        )

    def add(self, line: dict[str, Any]) -> None:
        if not self.out.write(line):
            return  # a pair already written (a retried task): never twice
        rid = line["id"]
        if "error" in line:
            self.errors += 1
            self.failed.add(rid)
        else:
            self.answers += 1
            if rid not in self.read:  # every line of a document carries its tokens_read
                self.read.add(rid)
                self.tokens += line["tokens_read"]
        self.left[rid] -= 1
        if self.left[rid] == 0:
            self.bar.update(1)
            self.bar.set_postfix(errors=len(self.failed))


def pending_work(
    records: Iterable[BatchRecord], done: set[tuple[RecordId, str]]
) -> list[tuple[BatchRecord, list[str]]]:
    """Each record with the questions not yet in the output (records with none left dropped)."""
    work = []
    for r in records:
        questions = [q for q in r.questions if (r.id, q) not in done]
        if questions:
            work.append((r, questions))
    return work


def run(
    records: Iterable[BatchRecord | Mapping[str, Any]],
    out: str | Path,
    engine: InfiniRetri | EngineFactory | None = None,
    *,
    settings: BatchSettings | None = None,
    ray: RayOptions | None = None,
    progress: bool = False,
) -> Summary:
    """Answer every record's questions into the JSONL file ``out`` and say how it went.

    ``engine``: an engine, or a factory that makes one (default: ``EngineSpec()``, the
    embedded model); with ``ray``, a picklable factory (an :class:`EngineSpec`), called once
    per worker. Pairs already in ``out`` are skipped, so re-running a killed job resumes it.
    """
    items = check_unique(
        r if isinstance(r, BatchRecord) else record_from_dict(r, "record") for r in records
    )
    settings = settings or BatchSettings()
    factory = engine if engine is not None else EngineSpec()
    if ray is not None and isinstance(factory, InfiniRetri):
        raise ConfigError("with Ray, give an EngineSpec (a factory), not an engine")
    t0 = time.perf_counter()
    with ResultFile(out) as sink:
        work = pending_work(items, sink.done)
        tally = _Tally(sink, {r.id: len(qs) for r, qs in work}, progress)
        try:
            if ray is not None:
                from .ray_job import run_on_ray

                assert not isinstance(factory, InfiniRetri)
                run_on_ray(work, factory, settings, ray, tally.add)
            else:
                local = factory if isinstance(factory, InfiniRetri) else factory()
                for record, questions in work:
                    for line in answer_record(local, record, questions, settings):
                        tally.add(line)
        finally:
            tally.bar.close()
    return Summary(
        documents=len(items),
        skipped=len(items) - len(work),
        processed=len(work),
        failed=len(tally.failed),
        answers=tally.answers,
        errors=tally.errors,
        tokens_read=tally.tokens,
        seconds=time.perf_counter() - t0,
        mode="ray" if ray is not None else "in-process",
    )
