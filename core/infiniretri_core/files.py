"""Reading a user's text file: exactly its text, regular files only, without copying it."""

from __future__ import annotations

import mmap
import stat
import sys
from pathlib import Path

from .errors import InputError


def read_text_file(path: str | Path) -> str:
    """The file's text exactly (line endings kept, so offsets point into the file).

    Only regular files: a directory, a device (``/dev/zero`` never ends) or a FIFO is
    refused with an :class:`InputError`. The bytes are mapped, not copied, so a large file
    costs its text only. ``"-"`` reads standard input.
    """
    if str(path) == "-":
        return sys.stdin.buffer.read().decode("utf-8", errors="replace")
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    if stat.S_ISDIR(mode):
        raise InputError(f"{path} is a directory; give one text file")
    if not stat.S_ISREG(mode):
        raise InputError(f"{path} is not a regular file (a device, socket or pipe)")
    try:
        with p.open("rb") as f:
            if p.stat().st_size == 0:
                return ""
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return str(mapped, "utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
