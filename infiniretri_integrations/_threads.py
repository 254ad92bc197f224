"""Run the engine's blocking work off the event loop, streaming included.

The engine is synchronous (a torch forward pass holds the thread); async adapters run it in a
worker thread and get its items back on the loop, in order, with exceptions re-raised there.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Any, TypeVar, cast

from infiniretri_core.cancel import bind

T = TypeVar("T")

_DONE = object()


async def aiterate(factory: Callable[[], Iterator[T]]) -> AsyncGenerator[T, None]:
    """Iterate ``factory()`` in a worker thread; items arrive here as they are produced.

    If the consumer stops early (or its task is cancelled), the producer stops at its next
    item and is closed, so a generator's ``finally`` (the engine's generation) runs; an
    engine call in progress there sees the cancellation between chunks.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[object, BaseException | None]] = asyncio.Queue()
    stop = threading.Event()
    ctx = contextvars.copy_context()
    ctx.run(bind, stop)

    def produce() -> None:
        items = factory()
        try:
            for item in items:
                if stop.is_set():
                    break
                loop.call_soon_threadsafe(queue.put_nowait, (item, None))
        except BaseException as exc:  # handed to the consumer
            _put(loop, queue, (_DONE, exc))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's cleanup runs here, in its own thread
        _put(loop, queue, (_DONE, None))

    worker = threading.Thread(
        target=ctx.run, args=(produce,), name="infiniretri-aiterate", daemon=True
    )
    worker.start()
    try:
        while True:
            item, exc = await queue.get()
            if exc is not None:
                raise exc
            if item is _DONE:
                return
            yield cast(T, item)
    finally:
        stop.set()


async def to_thread(func: Callable[[], T]) -> T:
    """``asyncio.to_thread`` whose cancellation reaches the engine call in the thread.

    Cancelling the awaiting task sets the thread's cancel token, so the read stops before its
    next chunk (raising ``Cancelled`` there) instead of running to its end unobserved.
    """
    token = threading.Event()
    ctx = contextvars.copy_context()
    ctx.run(bind, token)
    try:
        return await asyncio.get_running_loop().run_in_executor(None, ctx.run, func)
    except asyncio.CancelledError:
        token.set()
        raise


def _put(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any], item: Any) -> None:
    if not loop.is_closed():
        loop.call_soon_threadsafe(queue.put_nowait, item)


def reporter_on_loop(
    loop: asyncio.AbstractEventLoop, send: Callable[[T], object]
) -> Callable[[T], None]:
    """A callback for a worker thread that runs the coroutine ``send(item)`` on ``loop``.

    It waits for the coroutine, so events keep their order and back-pressure holds.
    """

    def report(item: T) -> None:
        coro = send(item)
        if asyncio.iscoroutine(coro):
            asyncio.run_coroutine_threadsafe(coro, loop).result()

    return report
