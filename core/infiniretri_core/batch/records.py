"""What a batch job reads: documents (inline text or a path) with their questions.

Two inputs: a JSONL file, one object per document (``id``, ``text`` or ``path``,
``questions``), or a folder of text files plus a questions file. The input's structure is
checked before any work starts (a malformed line, a duplicate id): fixing it costs nothing
then. What is wrong with a document's *content* (unreadable, empty, too long) is found while
the job runs and becomes an error record for that document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..files import read_text_file

RecordId = str | int


@dataclass(frozen=True)
class BatchRecord:
    """One document and the questions asked of it (duplicates dropped, order kept)."""

    id: RecordId
    questions: tuple[str, ...]
    text: str | None = None
    path: str | None = None

    def load(self) -> str:
        """The document's text: inline, or read from ``path`` where this runs (a worker
        of a cluster reads the file itself, so paths must be on storage it can see)."""
        if self.text is not None:
            return self.text
        assert self.path is not None
        return read_text_file(self.path)


def record_from_dict(obj: Any, where: str = "record") -> BatchRecord:
    """A :class:`BatchRecord` from ``{"id", "text" | "path", "questions"}``."""
    if not isinstance(obj, Mapping):
        raise InputError(f"{where}: expected an object, got {type(obj).__name__}")
    unknown = set(obj) - {"id", "text", "path", "questions"}
    if unknown:
        raise InputError(f"{where}: unknown field(s) {sorted(unknown)}")
    rid = obj.get("id")
    if isinstance(rid, bool) or not isinstance(rid, str | int) or rid == "":
        raise InputError(f"{where}: 'id' must be a non-empty string or an integer")
    text, path = obj.get("text"), obj.get("path")
    if (text is None) == (path is None):
        raise InputError(f"{where} (id {rid!r}): give exactly one of 'text' and 'path'")
    if text is not None and not isinstance(text, str):
        raise InputError(f"{where} (id {rid!r}): 'text' must be a string")
    if path is not None and (not isinstance(path, str) or not path):
        raise InputError(f"{where} (id {rid!r}): 'path' must be a non-empty string")
    return BatchRecord(rid, _questions(obj.get("questions"), f"{where} (id {rid!r})"), text, path)


def _questions(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise InputError(f"{where}: 'questions' must be a non-empty list of strings")
    if not all(isinstance(q, str) for q in value):
        raise InputError(f"{where}: every question must be a string")
    return tuple(dict.fromkeys(value))


def read_jsonl(path: str | Path) -> list[BatchRecord]:
    """Records of a JSONL file (blank lines allowed); errors name the line."""
    records = []
    for n, line in enumerate(read_text_file(path).split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        records.append(record_from_dict(obj, f"{path}:{n}"))
    return check_unique(records)


def read_questions(path: str | Path) -> list[str] | dict[str, list[str]]:
    """A questions file: ``.json`` holds a list (for every document) or an object mapping a
    document id (its file name relative to the folder) to its list; any other file holds
    one question per line."""
    text = read_text_file(path)
    if str(path).endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not JSON ({exc.msg})") from exc
        if isinstance(data, Mapping):
            return {str(k): list(_questions(v, f"{path} [{k!r}]")) for k, v in data.items()}
        return list(_questions(data, str(path)))
    questions = [line.strip() for line in text.splitlines() if line.strip()]
    return list(_questions(questions, str(path)))


def from_folder(
    folder: str | Path, questions: str | Path, pattern: str = "*.txt"
) -> list[BatchRecord]:
    """One record per file matching ``pattern`` under ``folder`` (recursively, sorted); its
    id is the path relative to ``folder``."""
    root = Path(folder)
    asked = read_questions(questions)
    files = sorted(p for p in root.rglob(pattern) if p.is_file())
    if not files:
        raise InputError(f"no file matches {pattern!r} under {folder}")
    records = []
    for f in files:
        rid = f.relative_to(root).as_posix()
        qs = asked.get(rid) if isinstance(asked, dict) else asked
        if qs:
            records.append(BatchRecord(rid, tuple(qs), path=str(f)))
    if isinstance(asked, dict):
        missing = sorted(set(asked) - {r.id for r in records})
        if missing:
            raise InputError(f"{questions}: no file for id(s) {missing[:5]}")
    return records


def load_records(
    source: str | Path, questions: str | Path | None = None, pattern: str = "*.txt"
) -> list[BatchRecord]:
    """Records from a JSONL file, or from a folder and a questions file."""
    if Path(source).is_dir():
        if questions is None:
            raise InputError(f"{source} is a folder: give a questions file as well")
        return from_folder(source, questions, pattern)
    if questions is not None:
        raise InputError("a questions file goes with a folder of documents, not a JSONL file")
    return read_jsonl(source)


def check_unique(records: Iterable[BatchRecord]) -> list[BatchRecord]:
    """The records, refused if two share an id (outputs are keyed by id and question)."""
    items = list(records)
    seen: set[RecordId] = set()
    for r in items:
        if r.id in seen:
            raise InputError(f"duplicate document id {r.id!r}")
        seen.add(r.id)
    return items
