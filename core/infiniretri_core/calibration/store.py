"""Calibration results cached as JSON: one file per model, dtype, prompt and probe set.

The key hashes the model's name, whole config and dtype, the prompt template, the phrase
width, every probe setting (``ProbeSettings``, both calibrations') and the probes' words; a
file is written to a temporary name and renamed, so an interrupted write leaves no file
behind.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .. import families
from ..models import cache_dir
from . import words
from .probing import Probing

T = TypeVar("T")


def cached(
    path: Path, version: int, compute: Callable[[], dict[str, Any]], read: Callable[[Any], T]
) -> T:
    """``read(record)`` of the JSON record at ``path`` if it has this ``version``; else of
    ``compute()``'s record, written there atomically. An unreadable file is recomputed."""
    if path.is_file():
        try:
            data = json.loads(path.read_text())
            if data.get("version") == version:
                return read(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # unreadable cache: recompute
    record = compute()
    atomic_write(path, json.dumps(record, indent=2))
    return read(record)


def cached_int(path: Path, version: int, key: str, compute: Callable[[], dict[str, Any]]) -> int:
    """``record[key]`` of the cached record (:func:`cached`)."""
    return cached(path, version, compute, lambda record: int(record[key]))


def cache_path(probing: Probing) -> Path:
    """Where the layer calibration of ``probing`` is kept (the link head's calibrations sit
    beside it): keyed by the model, the prompt, the phrase width and every probe setting."""
    model = probing.model
    key = json.dumps(
        {
            "name": families.model_name(model),
            "config": families.config_json(model),
            "dtype": str(families.param_dtype(model)),
            "template": probing.template,
            "phrase": probing.phrase_token_num,
            "probes": dataclasses.asdict(probing.settings),
            "words": {k: v for k, v in vars(words).items() if k.isupper()},
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    stem = Path(families.model_name(model)).name or "model"
    return cache_dir() / "calibration" / f"{stem}-{digest}.json"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
