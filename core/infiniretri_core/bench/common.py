"""Small shared pieces: parsing lengths and depths, peak memory, optional imports, JSON."""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import InfiniRetriError, InputError
from ..families import model_name
from ..local_writer import PendingWriter


class MissingDependency(InfiniRetriError, ImportError):
    """An optional benchmark dependency is not installed."""


def require(module: str, install: str) -> ModuleType:
    """Import ``module`` or say which package to install (optional deps stay optional)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(
            f"{module} is needed for this benchmark: `pip install {install}` ({exc})"
        ) from exc


def parse_tokens(text: str) -> int:
    """``"8k"`` -> 8000, ``"1M"`` -> 1000000, ``"1500"`` -> 1500."""
    s = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(s[-1:], 1)
    try:
        value = float(s[:-1] if scale > 1 else s) * scale
    except ValueError:
        raise InputError(f"not a token count: {text!r} (use e.g. 1500, 8k, 1M)") from None
    if value < 1 or value != int(value):
        raise InputError(f"not a positive whole number of tokens: {text!r}")
    return int(value)


def parse_lengths(text: str) -> list[int]:
    """``"8k,32k,128k,1M"`` -> token counts, in the given order, without repeats."""
    items = [x for x in text.split(",") if x.strip()]
    if not items:
        raise InputError("no lengths given")
    return list(dict.fromkeys(parse_tokens(x) for x in items))


def parse_depths(text: str) -> list[int]:
    """``"0,25,50,75,100"`` -> percentages of the document before the needle."""
    out: list[int] = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        if not item.isdigit() or not 0 <= int(item) <= 100:
            raise InputError(f"a depth is a whole percentage in 0..100, got {item!r}")
        out.append(int(item))
    if not out:
        raise InputError("no depths given")
    return list(dict.fromkeys(out))


def peak_rss_mb() -> float | None:
    """This process's peak resident memory so far (MB), or None where it cannot be read."""
    try:
        import resource
    except ImportError:  # Windows
        try:
            import psutil
        except ImportError:
            return None
        info = psutil.Process().memory_info()
        return float(getattr(info, "peak_wset", info.rss)) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def write_json(path: Path, data: Any) -> None:
    """Write atomically, so a run killed mid-write never leaves a truncated file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc


def engine_config(engine: Any) -> dict[str, Any]:
    """The engine's options as plain data (recorded with every result)."""
    cfg = {k: v for k, v in vars(engine.config).items() if k != "prompt_template"}
    cfg["layer"] = engine.layer
    cfg["scoring"] = engine.config.scoring
    cfg["model"] = model_name(engine.model) or "unknown"
    options = engine.options()
    for role in ("ranker", "writer"):  # a pending writer by its name, never loaded here
        other = getattr(options, role)
        if isinstance(other, PendingWriter):
            cfg[role] = other.name
        else:
            cfg[role] = None if other is None else model_name(other.model) or "unknown"
    return cfg
