"""Text -> sentences with character offsets, the authors' rules plus bounds.

The authors split on ``(\\n\\n)|([。！？.?!])``, keep the punctuation with its sentence, glue
whitespace-only pieces to the sentence before, and merge a short piece after a '.' (an
abbreviation or a number such as '3.14'). We keep those rules, read ``\\r\\n`` paragraph
breaks like ``\\n\\n``, and track offsets so every sentence is an exact slice of the input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .types import Sentence

_BOUNDARY = re.compile(r"(\r?\n[ \t]*\r?\n)|([。！？.?!])")
_PUNCT = frozenset("。！？.?!")
_WORD = re.compile(r"\s*\S+")

TokenCounter = Callable[[Sequence[str]], Sequence[int]]


def segment(text: str, abbreviation_chars: int = 8) -> list[Sentence]:
    """Split ``text`` into sentences that tile it: ``end`` of one is ``start`` of the next."""
    sentences: list[Sentence] = []
    cur_start = cur_end = 0
    cur_has_text = False
    for start, end in _pieces(text):
        piece = text[start:end].strip()
        glue = (
            not cur_has_text
            or not piece
            or piece in _PUNCT
            or (text[cur_end - 1] == "." and len(piece) <= abbreviation_chars)
        )
        if glue:
            cur_end = end
            cur_has_text = cur_has_text or bool(piece)
        else:
            sentences.append(Sentence(cur_start, cur_end))
            cur_start, cur_end, cur_has_text = start, end, True
    if cur_has_text:
        sentences.append(Sentence(cur_start, cur_end))
    elif sentences:  # trailing whitespace belongs to the last sentence
        sentences[-1] = Sentence(sentences[-1].start, cur_end)
    return sentences


def _pieces(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        spans.append((m.start(), m.end()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return spans


def bound_sentences(
    text: str,
    sentences: Sequence[Sentence],
    counts: Sequence[int],
    count_tokens: TokenCounter,
    max_tokens: int,
) -> list[Sentence]:
    """Split every sentence longer than ``max_tokens`` tokens; the others pass unchanged.

    Splits fall on whitespace; a single word that is still too long (minified JSON, a long
    CJK run, base64) is cut by characters. Offsets stay exact and the pieces still tile.
    """
    out: list[Sentence] = []
    for sent, n in zip(sentences, counts, strict=True):
        if n <= max_tokens:
            out.append(sent)
        else:
            out.extend(_split_long(text, sent, count_tokens, max_tokens))
    return out


def _split_long(
    text: str, sent: Sentence, count_tokens: TokenCounter, max_tokens: int
) -> list[Sentence]:
    words = [
        (sent.start + m.start(), sent.start + m.end())
        for m in _WORD.finditer(text[sent.start : sent.end])
    ]
    if not words:
        return _split_chars(text, sent, count_tokens, max_tokens)
    # Leading whitespace before the first word and trailing after the last stay attached.
    words[0] = (sent.start, words[0][1])
    words[-1] = (words[-1][0], sent.end)
    word_counts = count_tokens([text[s:e] for s, e in words])
    pieces: list[Sentence] = []
    start, total = words[0][0], 0
    for (ws, we), n in zip(words, word_counts, strict=True):
        if n > max_tokens:
            if total:
                pieces.append(Sentence(start, ws))
            pieces.extend(_split_chars(text, Sentence(ws, we), count_tokens, max_tokens))
            start, total = we, 0
        elif total + n > max_tokens:
            pieces.append(Sentence(start, ws))
            start, total = ws, n
        else:
            total += n
    if total:
        pieces.append(Sentence(start, sent.end))
    elif pieces and pieces[-1].end != sent.end:
        pieces[-1] = Sentence(pieces[-1].start, sent.end)
    return _verify(text, pieces, count_tokens, max_tokens)


def _split_chars(
    text: str, sent: Sentence, count_tokens: TokenCounter, max_tokens: int
) -> list[Sentence]:
    length = sent.end - sent.start
    n = count_tokens([text[sent.start : sent.end]])[0]
    if n <= max_tokens or length <= 1:
        return [sent]
    step = max(1, int(length * max_tokens / n * 0.9))
    pieces = [Sentence(s, min(s + step, sent.end)) for s in range(sent.start, sent.end, step)]
    return _verify(text, pieces, count_tokens, max_tokens)


def _verify(
    text: str, pieces: list[Sentence], count_tokens: TokenCounter, max_tokens: int
) -> list[Sentence]:
    """Token counts of joined words can exceed the sum of their parts; re-split those."""
    counts = count_tokens([text[p.start : p.end] for p in pieces])
    out: list[Sentence] = []
    for piece, n in zip(pieces, counts, strict=True):
        if n <= max_tokens:
            out.append(piece)
        elif piece.end - piece.start > 1:
            mid = (piece.start + piece.end) // 2
            out.extend(
                _verify(
                    text,
                    [Sentence(piece.start, mid), Sentence(mid, piece.end)],
                    count_tokens,
                    max_tokens,
                )
            )
        else:
            out.append(piece)  # one character: cannot be split further
    return out
