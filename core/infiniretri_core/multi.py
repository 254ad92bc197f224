"""Several questions, one reading: N questions share the chunk loop and its forward passes.

Each step is ONE forward over ``[prefix][union of the N caches, document order][chunk]``
followed by N question blocks ``[middle][question_j][suffix]``. A 4D mask lets block j attend
to the prefix, the chunk, the context sentences it may see (``view``) and causally to itself,
never to another block; its position ids start right after the context, so its distance to
the chunk is the one a single read gives. Question j's rows are then scored exactly as in
the single path (its own question weights, top-K, cache and ``max_cache_tokens``) over its
own context columns, gathered into one contiguous strip so the phrase filter sees what a
single read would see.

The chunk (the bulk of every step) goes through the model once instead of N times; the
cost per step is ``|union| + chunk + N * block`` tokens instead of ``N * (cache + chunk +
block)``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch

from . import heads, lexical, probe, scoring
from .cancel import CancelToken, check
from .chunking import pack
from .document import DocumentInput, PreparedDocument
from .engine import InfiniRetri, ProgressCallback, _best_within, _ReadState
from .errors import ConfigError, InputError
from .memory import PeakRss, trim
from .prompt import PromptParts
from .types import Progress

View = Literal["own", "union"]
"""What question j's rows may attend to in the shared context: its own cache sentences and
the chunk (``"own"``, as a single read), or every cached sentence of every question."""


def check_questions(questions: object) -> list[str]:
    """A non-empty sequence of str (a lone str is refused: it would be read letter by letter)."""
    if isinstance(questions, str) or not isinstance(questions, Sequence):
        raise InputError(f"questions must be a sequence of str, got {type(questions).__name__}")
    items = list(questions)
    if not items:
        raise InputError("questions is empty")
    return items


def read_many(
    engine: InfiniRetri,
    document: DocumentInput,
    questions: Sequence[str],
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
    view: View = "own",
) -> list[_ReadState]:
    """One shared reading; one read state per question, in order."""
    if engine.config.null_question is not None:
        raise ConfigError(
            "null_question is not supported by select_many/answer_many yet: "
            "read each question with select/answer"
        )
    for name, value, default in (
        ("link_head", engine.link_head, None),
        ("passes", engine.config.passes, 1),
    ):
        if value != default:
            raise ConfigError(
                f"{name} is not supported by select_many/answer_many yet: "
                "read each question with select/answer"
            )
    items = check_questions(questions)
    parts = [engine._parts(q) for q in items]  # every question checked as in the single path
    check(cancel)
    with PeakRss() as memory:
        doc = engine.prepare(document)
        t0 = time.perf_counter()
        caches, peaks, num_chunks, starts, processed = _loop(
            engine, doc, parts, progress, cancel, view
        )
        seconds = time.perf_counter() - t0
    return [
        _ReadState(doc, p, c, pk, starts, num_chunks, processed, seconds, memory)
        for p, c, pk in zip(parts, caches, peaks, strict=True)
    ]


def _loop(
    engine: InfiniRetri,
    doc: PreparedDocument,
    parts: list[PromptParts],
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
    view: View,
) -> tuple[list[list[int]], list[np.ndarray], int, np.ndarray, int]:
    cfg = engine.config
    n = len(parts)
    lengths = doc.lengths
    chunks = pack(lengths.tolist(), cfg.chunk_size)
    caches: list[list[int]] = [[] for _ in range(n)]
    peaks = [np.zeros(0, dtype=np.float32) for _ in range(n)]
    weights: list[torch.Tensor | None] = [None] * n
    priors = [engine._match_prior(doc, p.question) for p in parts]
    prefix = parts[0].prefix
    processed = read = 0
    limit = getattr(engine.model.config, "max_position_embeddings", None)
    blocks_len = [len(p.middle) + len(p.question) + len(p.suffix) for p in parts]
    for ci, chunk in enumerate(chunks):
        check(cancel)
        chunk_len = int(lengths[chunk].sum())
        for group in _groups(caches, lengths, len(prefix) + chunk_len, blocks_len, limit):
            processed += _step(
                engine, doc, prefix, chunk, group, parts, caches, peaks, weights, priors, view
            )
        read += chunk_len
        trim(ci)
        if progress is not None:
            kept = sorted(set().union(*caches))
            progress(
                Progress(
                    ci + 1,
                    len(chunks),
                    read,
                    doc.num_tokens,
                    int(lengths[kept].sum()) if kept else 0,
                )
            )
    starts = np.asarray([c.start for c in chunks], dtype=np.int64)
    return caches, peaks, len(chunks), starts, processed


def _groups(
    caches: list[list[int]],
    lengths: np.ndarray,
    fixed: int,
    blocks_len: list[int],
    limit: int | None,
) -> list[list[int]]:
    """Questions packed in order into forwards whose input fits ``limit`` tokens (the model's
    positions): usually one; more only when the caches hardly overlap and are large."""
    groups: list[list[int]] = [[]]
    seen: set[int] = set()
    size = fixed
    for j, cache in enumerate(caches):
        new = [s for s in cache if s not in seen]
        extra = int(lengths[new].sum()) + blocks_len[j] if new else blocks_len[j]
        if limit is not None and groups[-1] and size + extra > limit:
            groups.append([])
            seen, size = set(), fixed
            extra = int(lengths[cache].sum()) + blocks_len[j] if cache else blocks_len[j]
        groups[-1].append(j)
        seen.update(cache)
        size += extra
    return groups


def _step(
    engine: InfiniRetri,
    doc: PreparedDocument,
    prefix: list[int],
    chunk: Sequence[int],
    group: list[int],
    parts: list[PromptParts],
    caches: list[list[int]],
    peaks: list[np.ndarray],
    weights: list[torch.Tensor | None],
    priors: list[torch.Tensor | None],
    view: View,
) -> int:
    """One forward for the questions of ``group``; updates their caches, peaks and weights in
    place and returns the number of tokens that went through the model."""
    cfg = engine.config
    lengths = doc.lengths
    union = sorted(set().union(*(caches[j] for j in group)))
    context = [*union, *chunk]
    ctx_lengths = lengths[context]
    col_start = len(prefix) + np.concatenate([[0], np.cumsum(ctx_lengths)[:-1]])
    slot = {sid: i for i, sid in enumerate(context)}
    views = {j: [*caches[j], *chunk] if view == "own" else context for j in group}
    cols = [_columns(col_start, ctx_lengths, [slot[s] for s in views[j]]) for j in group]
    ids, mask, positions, blocks = _step_input(
        prefix, doc.tokens(context), [parts[j] for j in group], cols
    )
    query_start = blocks[0][0]
    layers = [engine.layer] if cfg.heads is None else heads.layers(cfg.heads)
    with engine._lock:
        rows = probe.attention_rows(engine.model, ids, query_start, layers, mask, positions)
    summed = rows[engine.layer][0].sum(dim=0) if cfg.heads is None else None  # (Q_all, K)
    for j, (q0, q1), cols_j in zip(group, blocks, cols, strict=True):
        own = slice(q0 - query_start, q1 - query_start)
        if summed is None:
            assert cfg.heads is not None
            scores = heads.token_scores(
                rows,
                cfg.heads,
                own,
                slice(q0, q1),
                cols_j,
                cfg.phrase_token_num,
                cfg.use_question_weight,
            )
        else:
            rows_j = summed[own]
            if weights[j] is None and cfg.use_question_weight:
                weights[j] = scoring.question_weights(rows_j, slice(q0, q1))
            strip = rows_j[:, cols_j]
            scores = scoring.token_scores(
                strip, slice(0, strip.shape[1]), cfg.phrase_token_num, weights[j]
            )
        ctx_j = views[j]
        prior = priors[j]
        if prior is not None:
            scores = lexical.add_prior(scores, prior[doc.token_positions(ctx_j)], cfg.match_weight)
        lengths_j = lengths[ctx_j]
        owner = torch.from_numpy(np.repeat(np.arange(len(ctx_j)), lengths_j))
        sent_peaks = scoring.sentence_peaks(scores, owner, len(ctx_j)).numpy()
        hit = np.unique(owner[scoring.top_tokens(scores, cfg.top_k)].numpy())
        hit = _best_within(hit, lengths_j, sent_peaks, cfg.max_cache_tokens)
        caches[j] = [ctx_j[i] for i in hit]
        peaks[j] = sent_peaks[hit]
    return int(ids.shape[1])


def _columns(col_start: np.ndarray, ctx_lengths: np.ndarray, slots: list[int]) -> torch.Tensor:
    """The token columns of the context sentences at ``slots``, in order."""
    if not slots:
        return torch.zeros(0, dtype=torch.long)
    pieces = [np.arange(col_start[s], col_start[s] + ctx_lengths[s]) for s in slots]
    return torch.from_numpy(np.concatenate(pieces).astype(np.int64))


def _step_input(
    prefix: list[int],
    context: list[int],
    parts: list[PromptParts],
    cols: list[torch.Tensor],
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[tuple[int, int]]]:
    """Input ids (1, T), bool mask (1, 1, T, T), position ids (1, T) and, per question, the
    ``(start, end)`` of its query rows (question to end of its block)."""
    ctx_end = len(prefix) + len(context)
    ids = [*prefix, *context]
    spans: list[tuple[int, int, int]] = []  # block start, question start, block end
    for p in parts:
        b0 = len(ids)
        ids.extend([*p.middle, *p.question, *p.suffix])
        spans.append((b0, b0 + len(p.middle), len(ids)))
    total = len(ids)
    mask = torch.zeros(total, total, dtype=torch.bool)
    mask[:ctx_end, :ctx_end] = torch.ones(ctx_end, ctx_end, dtype=torch.bool).tril()
    positions = torch.arange(total)
    prefix_cols = torch.arange(len(prefix))
    for (b0, _, b1), c in zip(spans, cols, strict=True):
        size = b1 - b0
        mask[b0:b1, prefix_cols] = True
        mask[b0:b1, c] = True
        mask[b0:b1, b0:b1] = torch.ones(size, size, dtype=torch.bool).tril()
        positions[b0:b1] = ctx_end + torch.arange(size)
    blocks = [(q0, b1) for _, q0, b1 in spans]
    return (
        torch.tensor([ids], dtype=torch.long),
        mask[None, None],
        positions[None],
        blocks,
    )
