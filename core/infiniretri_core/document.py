"""A document prepared for reading: sentences with offsets and their token ids, once.

Token ids live in one flat int32 array with per-sentence offsets, so a 1M-token document
costs a few MB of index next to a model of hundreds of MB.

A document may come in parts (the pages or nodes a framework hands over). The parts are read
as one text, joined by a paragraph break, so the cache carries facts across them; each part is
segmented on its own, so no sentence straddles two parts and every piece of evidence belongs
to exactly one of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import DocumentTooLong, InputError
from .segment import bound_sentences, segment
from .tokens import encode as encode_texts
from .types import PART_SEPARATOR, Sentence

_BATCH = 512
SEPARATOR = PART_SEPARATOR
_SURROGATE = re.compile("[\ud800-\udfff]")

DocumentInput = str | Sequence[str]


@dataclass(frozen=True)
class PreparedDocument:
    text: str
    sentences: list[Sentence]
    ids: np.ndarray
    """All sentence token ids, concatenated (int32)."""
    offsets: np.ndarray
    """``ids[offsets[i]:offsets[i+1]]`` are the tokens of sentence ``i``."""
    part_starts: np.ndarray
    """Where each part begins in ``text`` (``[0]`` for a single string)."""

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def num_tokens(self) -> int:
        return int(self.offsets[-1])

    def tokens(self, sentence_ids: Sequence[int]) -> list[int]:
        parts = [self.ids[self.offsets[i] : self.offsets[i + 1]] for i in sentence_ids]
        return np.concatenate(parts).tolist() if parts else []

    def token_positions(self, sentence_ids: Sequence[int]) -> np.ndarray:
        """Where the tokens of these sentences lie in :attr:`ids`, in the order given."""
        parts = [np.arange(self.offsets[i], self.offsets[i + 1]) for i in sentence_ids]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def span(self, i: int) -> tuple[int, int]:
        """The sentence's character span with surrounding whitespace trimmed."""
        s = self.sentences[i]
        raw = self.text[s.start : s.end]
        lead = len(raw) - len(raw.lstrip())
        trail = len(raw) - len(raw.rstrip())
        return s.start + lead, s.end - trail

    def locate(self, start: int, end: int) -> tuple[int, int, int]:
        """``(part, start, end)`` of a span of ``text``, relative to its part."""
        part = int(np.searchsorted(self.part_starts, start, side="right")) - 1
        base = int(self.part_starts[part])
        return part, start - base, end - base


def check_text(value: object, what: str, allow_empty: bool = False) -> str:
    """A str that tokenizers can encode (no lone surrogate), with text unless allowed."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a str, got {type(value).__name__}")
    check_unicode(value, what)
    if not allow_empty and not value.strip():
        raise InputError(f"{what} is empty")
    return value


def check_unicode(text: str, what: str) -> str:
    """Refuse a lone surrogate (U+D800-U+DFFF), which JSON's ``\\ud800`` escapes and
    ``surrogateescape`` decoding put in a str: no tokenizer encodes one, so it would fail
    deep in the tokenizer with a ``TypeError`` instead of here, saying where it is."""
    found = _SURROGATE.search(text)
    if found is not None:
        raise InputError(
            f"{what} holds a lone surrogate (U+{ord(found.group()):04X}) at character "
            f"{found.start()}: not valid Unicode text; decode its bytes with "
            "errors='replace', or fix the escape that made it"
        )
    return text


def check_questions(questions: object) -> list[str]:
    """A non-empty sequence of str (a lone str is refused: it would be read letter by letter)."""
    if isinstance(questions, str) or not isinstance(questions, Sequence):
        raise InputError(f"questions must be a sequence of str, got {type(questions).__name__}")
    items = list(questions)
    if not items:
        raise InputError("questions is empty")
    return items


def check_parts(document: object) -> list[str]:
    """The parts of a document (a str, or a sequence of str of which one has text)."""
    if isinstance(document, str):
        return [check_text(document, "document")]
    if not isinstance(document, Sequence):
        raise InputError(
            f"document must be a str or a sequence of str, got {type(document).__name__}"
        )
    parts = list(document)
    for i, part in enumerate(parts):
        if not isinstance(part, str):
            raise InputError(f"document part {i} must be a str, got {type(part).__name__}")
        check_unicode(part, f"document part {i}")
    if not any(part.strip() for part in parts):
        raise InputError("document is empty" if parts else "document has no parts")
    return parts


def _segment_parts(
    parts: list[str], abbreviation_chars: int
) -> tuple[str, list[Sentence], np.ndarray]:
    text = SEPARATOR.join(parts)
    starts = np.zeros(len(parts), dtype=np.int64)
    sentences: list[Sentence] = []
    pos = 0
    for i, part in enumerate(parts):
        starts[i] = pos
        found = [Sentence(s.start + pos, s.end + pos) for s in segment(part, abbreviation_chars)]
        if found and i < len(parts) - 1:  # the separator is read with the part's last sentence
            found[-1] = Sentence(found[-1].start, found[-1].end + len(SEPARATOR))
        sentences.extend(found)
        pos += len(part) + len(SEPARATOR)
    return text, sentences, starts


def prepare(
    document: DocumentInput,
    tokenizer: Any,
    max_sentence_tokens: int,
    abbreviation_chars: int = 8,
    max_tokens: int | None = None,
) -> PreparedDocument:
    """Segment, bound the sentence length, and tokenize each sentence exactly once.

    With ``max_tokens``, tokenizing stops at the batch that crosses the limit.
    """
    text, raw, part_starts = _segment_parts(check_parts(document), abbreviation_chars)

    def encode(texts: Sequence[str]) -> list[list[int]]:
        return encode_texts(tokenizer, texts)

    def count(texts: Sequence[str]) -> list[int]:
        return [len(t) for t in encode(texts)]

    sentences: list[Sentence] = []
    chunks: list[np.ndarray] = []
    lengths: list[int] = []
    for b in range(0, len(raw), _BATCH):
        batch = raw[b : b + _BATCH]
        for sent, ids in zip(batch, encode([text[s.start : s.end] for s in batch]), strict=True):
            if len(ids) <= max_sentence_tokens:
                pieces, piece_ids = [sent], [ids]
            else:
                pieces = bound_sentences(text, [sent], [len(ids)], count, max_sentence_tokens)
                piece_ids = encode([text[p.start : p.end] for p in pieces])
            for p, pid in zip(pieces, piece_ids, strict=True):
                sentences.append(p)
                lengths.append(len(pid))
                chunks.append(np.asarray(pid, dtype=np.int32))
        if max_tokens is not None and sum(lengths) > max_tokens:
            raise DocumentTooLong(
                f"the document has more than {max_tokens} tokens (max_document_tokens); "
                f"{sum(lengths)} counted in its first {b + len(batch)} of {len(raw)} sentences"
            )
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids_all = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
    return PreparedDocument(text, sentences, ids_all, offsets, part_starts)
