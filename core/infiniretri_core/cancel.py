"""Cancelling a call in flight: a token checked between chunks and at every generated token.

A token is anything with ``is_set()`` (a ``threading.Event``). It is passed explicitly
(``engine.select(..., cancel=event)``) or set for a block of code with :func:`cancel_scope`;
async adapters set it in the worker thread's context, so cancelling the awaiting task stops
the read at its next chunk instead of letting it run to the end in the background.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Protocol

from .errors import Cancelled


class CancelToken(Protocol):
    def is_set(self) -> bool: ...


_CURRENT: ContextVar[CancelToken | None] = ContextVar("infiniretri_cancel", default=None)


@contextlib.contextmanager
def cancel_scope(token: CancelToken) -> Iterator[CancelToken]:
    """Calls made inside the block (in this context) are cancelled when ``token`` is set."""
    reset = _CURRENT.set(token)
    try:
        yield token
    finally:
        _CURRENT.reset(reset)


def bind(token: CancelToken) -> None:
    """Set ``token`` for the rest of the current context: for a copied context that a worker
    thread runs and then drops (``contextvars.copy_context().run(bind, token)``)."""
    _CURRENT.set(token)


def resolve(token: CancelToken | None) -> CancelToken | None:
    """The explicit token, else the one of the enclosing :func:`cancel_scope`."""
    return token if token is not None else _CURRENT.get()


def check(token: CancelToken | None) -> None:
    if token is not None and token.is_set():
        raise Cancelled("the call was cancelled")


def poll(token: CancelToken | None) -> Callable[[], bool] | None:
    """What a generation loop asks at every token: the token's ``is_set`` (``None``: never)."""
    return token.is_set if token is not None else None
