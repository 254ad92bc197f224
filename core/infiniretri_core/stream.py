"""Streaming an answer: generation on a worker thread, pieces handed to the consumer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from .answer_guard import GuardedStreamer
from .types import Answer, Selection


class AnswerStream(Iterator[str]):
    """Iterates over the answer's text pieces.

    ``.selection`` is set once the document is read (before the first piece is returned),
    ``.answer`` once the stream is exhausted.
    """

    def __init__(self, source: Iterator[str | Selection | Answer]) -> None:
        self._source = source
        self.selection: Selection | None = None
        self.answer: Answer | None = None

    def __iter__(self) -> AnswerStream:
        return self

    def close(self) -> None:
        """Stop early: the generation stops at its next token and frees the model."""
        close = getattr(self._source, "close", None)
        if close is not None:
            close()

    def __next__(self) -> str:
        item = next(self._source)
        if isinstance(item, Selection):
            self.selection = item
            item = next(self._source)
        if isinstance(item, Answer):
            self.answer = item
            raise StopIteration
        assert isinstance(item, str)
        return item


def pieces(
    streamer: GuardedStreamer,
    generate: Callable[[], str],
    cancelled: Callable[[], bool] | None,
    texts: list[str],
) -> Iterator[str]:
    """The text pieces ``streamer`` receives while ``generate()`` runs on a worker thread;
    the whole text is appended to ``texts`` once it ends. Generation stops at its next token
    when the consumer stops early or ``cancelled()``."""
    errors: list[BaseException] = []
    abandoned = threading.Event()

    def stop() -> bool:
        return abandoned.is_set() or (cancelled is not None and cancelled())

    streamer.guard.should_stop = stop

    def run() -> None:
        try:
            texts.append(generate())
        except BaseException as exc:  # surfaced to the consumer below
            errors.append(exc)
            streamer.end()

    worker = threading.Thread(target=run, name="infiniretri-generate", daemon=True)
    worker.start()
    try:
        yield from (piece for piece in streamer if piece)
    finally:
        # A consumer that stops early (close(), a cancelled task) stops the generation at
        # the next token; waiting for it frees the model for the next call and never
        # leaves a thread inside torch (which aborts the interpreter at exit).
        abandoned.set()
        worker.join()
    if errors:
        raise errors[0]
