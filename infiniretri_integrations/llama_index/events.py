"""Reading progress as a LlamaIndex instrumentation event, one per chunk read."""

from __future__ import annotations

from dataclasses import asdict

from infiniretri_core import Progress, ProgressCallback
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events import BaseEvent

dispatcher = get_dispatcher(__name__)


class InfiniRetriProgressEvent(BaseEvent):
    """Sent after each chunk: how far the reading is and how big the sentence cache is."""

    chunk: int
    num_chunks: int
    tokens_read: int
    tokens_total: int
    tokens_kept: int

    @classmethod
    def class_name(cls) -> str:
        return "InfiniRetriProgressEvent"


def progress_events() -> ProgressCallback:
    """A callback that sends the event inside the caller's current span.

    Calls from a worker thread keep the span when the thread runs in a copy of the caller's
    context (``_threads.to_thread`` does).
    """

    def report(progress: Progress) -> None:
        dispatcher.event(InfiniRetriProgressEvent(**asdict(progress)))

    return report
