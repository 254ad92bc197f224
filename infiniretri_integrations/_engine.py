"""One engine per process for adapters built without one.

Loading a model and calibrating its layer costs seconds and hundreds of MB; every adapter that
is not handed an engine shares this one instead of loading its own.
"""

from __future__ import annotations

import functools
from typing import Any

from infiniretri_core import InfiniRetri


@functools.lru_cache(maxsize=4)
def shared_engine(model: str | None = None, **options: Any) -> InfiniRetri:
    """The engine for ``model`` (``None``: the embedded SmolLM2), loaded once per process.

    ``options`` are :class:`~infiniretri_core.InfiniRetriConfig` fields and ``dtype`` /
    ``device`` / ``trust_remote_code``; they must be hashable.
    """
    return InfiniRetri.from_pretrained(model, **options)
