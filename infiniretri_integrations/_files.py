"""Reading a file an agent names, only inside the folder a tool was given."""

from __future__ import annotations

from pathlib import Path

from infiniretri_core import InputError


def read_inside(root: Path, path: str) -> str:
    """The UTF-8 text of ``root / path``; anything outside ``root`` (``..``, absolute paths,
    symlinks leading out) or not a regular text file is an :class:`InputError`."""
    root = root.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        raise InputError(f"{path} is outside the folder this tool may read")
    if not target.is_file():
        raise InputError(f"{path} is not a file")
    try:
        return target.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text: {exc}") from exc
