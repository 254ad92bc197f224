"""One engine per process for adapters built without one.

Loading a model and calibrating its layer costs seconds and hundreds of MB; every adapter that
is not handed an engine shares this one instead of loading its own.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from infiniretri_core import InfiniRetri
from infiniretri_core.engine import shared_writer


@functools.lru_cache(maxsize=4)
def shared_engine(model: str | None = None, **options: Any) -> InfiniRetri:
    """The engine for ``model`` (``None``: the embedded SmolLM2), loaded once per process.

    ``options`` are :class:`~infiniretri_core.InfiniRetriConfig` fields and ``dtype`` /
    ``device`` / ``trust_remote_code``; they must be hashable.
    """
    return InfiniRetri.from_pretrained(model, **options)


def tailored(engine: InfiniRetri, writer: str | None = None, **changes: Any) -> InfiniRetri:
    """``engine`` with a local writer named ``writer`` and config ``changes`` that are not
    ``None`` (the writer's budget and order): ``engine`` itself when nothing changes, else
    an engine built from its options (nothing read or calibrated again), made once."""
    given = tuple(sorted((k, v) for k, v in changes.items() if v is not None))
    if writer is None and not given:
        return engine
    return _tailored(engine, writer, given)


@functools.lru_cache(maxsize=16)
def _tailored(
    engine: InfiniRetri, writer: str | None, changes: tuple[tuple[str, Any], ...]
) -> InfiniRetri:
    options = engine.options().replace(**dict(changes))
    if writer is not None:
        options = dataclasses.replace(options, writer=shared_writer(writer))
    return InfiniRetri.from_options(options)
