"""The batch job on Ray Data: an actor pool, one engine per actor, lines streamed back.

``map_batches`` with an actor class loads the model once per worker: its constructor gets the
engine factory (an :class:`EngineSpec`, a few bytes, put in the object store once by Ray
Data), never the weights, and every document that actor takes reuses that engine. Each row is
one document with its pending questions; the driver writes the lines as blocks finish, so a
killed job resumes like the in-process one. A worker that dies is restarted by Ray
(``max_restarts``) and its documents retried (``max_task_retries``); the driver's result file
drops any pair it already holds, so each (document, question) is written exactly once.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError
from .records import BatchRecord
from .spec import EngineFactory, RayOptions
from .work import BatchSettings, answer_record


class BatchWorker:
    """A Ray Data actor: one engine, many documents."""

    def __init__(self, factory: EngineFactory, settings: BatchSettings, threads: int) -> None:
        import torch

        torch.set_num_threads(max(1, threads))
        self.engine = factory()
        self.settings = settings

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        lines: list[str] = []
        for item in batch["item"]:
            data = json.loads(item)
            record = BatchRecord(data["id"], tuple(data["questions"]), data["text"], data["path"])
            for line in answer_record(self.engine, record, data["pending"], self.settings):
                lines.append(json.dumps(line, ensure_ascii=False))
        return {"line": lines}


def _row(record: BatchRecord, pending: list[str]) -> dict[str, str]:
    # One JSON string per row: Arrow never has to infer a schema from user data.
    return {
        "item": json.dumps(
            {
                "id": record.id,
                "questions": list(record.questions),
                "text": record.text,
                "path": record.path,
                "pending": pending,
            },
            ensure_ascii=False,
        )
    }


def run_on_ray(
    work: list[tuple[BatchRecord, list[str]]],
    factory: EngineFactory,
    settings: BatchSettings,
    options: RayOptions,
    emit: Callable[[dict[str, Any]], None],
) -> None:
    """Run ``work`` on the Ray cluster of ``options`` and pass each line to ``emit``."""
    try:
        import ray
        import ray.data
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise ConfigError(
            "the Ray mode needs Ray Data: pip install 'infiniretri-integrations[ray]'"
        ) from exc
    if not work:
        return
    started = not ray.is_initialized()
    if started:
        ray.init(address=options.address, logging_level=logging.WARNING, log_to_driver=False)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        with warnings.catch_warnings():
            # Ray 2.60 deprecates restart limits given as remote args (its default is to
            # restart and retry forever, which a document that kills its worker would do);
            # they are honoured up to 2.63, the bound of the [ray] extra.
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated")
            ds = ray.data.from_items([_row(r, qs) for r, qs in work]).map_batches(
                BatchWorker,
                fn_constructor_kwargs={
                    "factory": factory,
                    "settings": settings,
                    "threads": int(options.cpus_per_worker),
                },
                batch_size=1,
                # one document in flight per actor: long documents spread over the pool
                compute=ray.data.ActorPoolStrategy(
                    size=options.workers, max_tasks_in_flight_per_actor=1
                ),
                num_cpus=options.cpus_per_worker,
                max_restarts=options.max_restarts,
                max_task_retries=options.max_task_retries,
            )
        for row in ds.iter_rows():
            emit(json.loads(row["line"]))
    finally:
        if started:
            ray.shutdown()
