"""The job's output: JSONL written as results arrive, resumable after a kill.

Every record is one line keyed by (document id, question). A line is written whole and
flushed to disk before the next, so a run killed at any moment leaves complete lines plus at
most one torn last line; the next run cuts the torn line off, skips every pair already
written and writes only the rest. Nothing is written twice, nothing is lost.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import InputError
from ..types import Answer
from .records import RecordId

Key = tuple[RecordId, str]


def result_record(
    record_id: RecordId, question: str, answer: Answer, seconds: float, shared_by: int
) -> dict[str, Any]:
    """A result line. ``seconds`` is the wall time of the reading (shared by ``shared_by``
    questions) and of the answers written from it; ``read_seconds`` the reading alone;
    ``peak_rss_bytes`` the resident memory of the process that read it (sizing workers)."""
    reading = answer.selection.as_dict()  # evidence, tokens, layer, seconds, peak RSS
    return {
        "id": record_id,
        "question": question,
        "answer": answer.text,
        **reading,
        "writer_tokens": answer.writer_tokens,
        "read_seconds": reading["seconds"],
        "seconds": round(seconds, 3),
        "questions_in_reading": shared_by,
    }


def error_record(record_id: RecordId, question: str, exc: BaseException) -> dict[str, Any]:
    """An error line: the pair is done (a resumed run does not retry it)."""
    return {
        "id": record_id,
        "question": question,
        "error": {"type": type(exc).__name__, "message": str(exc)},
    }


class ResultFile:
    """``with ResultFile(path) as out: out.done ...; out.write(line)``: append-only JSONL."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.done: set[Key] = set()
        self.written = 0
        self._file: Any = None

    def __enter__(self) -> ResultFile:
        if self.path.exists():
            self._recover()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._file.close()

    def _recover(self) -> None:
        """Cut a torn last line (a run killed mid-write) and note every pair already done."""
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            with self.path.open("r+b") as f:
                f.truncate(end)
        for n, line in enumerate(data[:end].decode("utf-8").split("\n"), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                key = (obj["id"], obj["question"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(
                    f"{self.path}:{n} is not a result line of this tool: refusing to append"
                ) from exc
            self.done.add(key)

    def write(self, line: dict[str, Any]) -> bool:
        """Append ``line`` unless its pair is already done; ``True`` if written."""
        key = (line["id"], line["question"])
        if key in self.done:
            return False
        self._file.write(_json_line(line))
        self._file.flush()
        os.fsync(self._file.fileno())
        self.done.add(key)
        self.written += 1
        return True


def _json_line(line: dict[str, Any]) -> str:
    """``line`` as JSON text, non-ASCII as is; where it holds a lone surrogate (an error line
    echoing a question from a JSON ``\\ud800`` escape), as ASCII escapes, which UTF-8 can
    write and which read back to the same str (so resuming still finds the pair)."""
    text = json.dumps(line, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(line)
    return text + "\n"
