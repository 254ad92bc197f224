"""The one read loop, for N >= 1 questions: chunks (and passes), steps, caches, progress.

Each step is ONE forward over ``[prefix][union of the N caches][chunk]`` followed by one
block per question (and its companion block, if the scorer asks for one); question j sees
its own cache and the chunk, exactly what a read of j alone would see, so ``select_many([q])``
is ``select(q)``. The chunk, the bulk of every step, goes through the model once instead of N
times. A later pass reads again what no cache holds, starting from the last pass's caches.

Each question's cache keeps the order a read of it alone gives: by the step each sentence
entered that cache, then document order. The union is ordered the same way by (step,
sentence); a sentence two questions took in at different steps (possible from the second
pass on) stands in it twice, once where each expects it, so that, for instance, an answer
sentence one question re-read after its bridge still comes after that bridge for it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .. import probe
from ..cancel import CancelToken, check
from ..chunking import pack
from ..config import InfiniRetriConfig
from ..document import PreparedDocument
from ..families import max_positions
from ..memory import trim
from ..prompt import PromptParts
from ..scoring import Pipeline, QuestionRows, QuestionState, TermStep
from ..scoring.phrase import Columns
from ..types import Progress
from . import step as steps
from .cache import keep, left_out, owner, pooled
from .events import StepCallback, StepEvent, question_step
from .state import ReadState

ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class ReadSettings:
    """The loop's share of the config."""

    chunk_size: int
    top_k: int
    max_cache_tokens: int | None
    passes: int = 1
    keep: str = "step"
    """``"step"``: each step's scores alone decide (the paper's); ``"best"``: each sentence's
    best score so far (:func:`cache.keep`)."""
    pool_tokens: int | None = None
    """``keep="best"``: the best of what left the cache, remembered (:func:`cache.pooled`)."""
    step_top_k: int | None = None
    """``keep="best"``: this step's own top tokens' sentences kept too (:func:`cache.keep`)."""

    @classmethod
    def from_config(cls, config: InfiniRetriConfig) -> ReadSettings:
        """The settings ``config`` gives the read loop (for a reader built beside an engine's,
        e.g. to observe its steps)."""
        return cls(**{f.name: getattr(config, f.name) for f in dataclasses.fields(cls)})


@dataclass
class _Question:
    parts: PromptParts
    state: QuestionState
    cache: list[int] = field(default_factory=list)
    peaks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    entered: dict[int, int] = field(default_factory=dict)
    """The step each cached sentence entered the cache (its place in the union)."""
    best: dict[int, float] = field(default_factory=dict)
    """Each cached sentence's best peak so far (``keep="best"``)."""
    pool: dict[int, float] = field(default_factory=dict)
    """What left the cache, by best peak (``pool_tokens``): not read again, kept at the end."""
    seen: list[int] = field(default_factory=list)
    """The sentences of its last step's view, whose token scores follow (for observers)."""
    scores: torch.Tensor = field(default_factory=lambda: torch.zeros(0))
    owner: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.long))


@dataclass(frozen=True)
class Reader:
    """Reads documents with one model and one scoring pipeline (shared by threads: every
    model call holds ``lock``; per-read state lives in :meth:`read`)."""

    model: torch.nn.Module
    tokenizer: Any
    lock: threading.RLock
    pipeline: Pipeline
    settings: ReadSettings

    def read(
        self,
        doc: PreparedDocument,
        questions: Sequence[PromptParts],
        companion: PromptParts | None,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        *,
        on_step: StepCallback | None = None,
    ) -> list[ReadState]:
        """One reading of ``doc`` for every question; one read state each, in order.
        ``on_step`` sees each step as it ends (:class:`StepEvent`)."""
        t0 = time.perf_counter()
        s = self.settings
        lengths = doc.lengths
        chunks = pack(lengths.tolist(), s.chunk_size)
        start = self.pipeline.start
        qs = [
            _Question(p, start(self.tokenizer, doc.ids, doc.offsets, p.question)) for p in questions
        ]
        schedule = [(p, ci) for p in range(s.passes) for ci in range(len(chunks))]
        processed = tokens_read = 0
        for n, (pass_no, ci) in enumerate(schedule):
            check(cancel)
            held = set().union(*(q.cache for q in qs))
            fresh = int(lengths[[i for i in chunks[ci] if i not in held]].sum())
            before = [list(q.cache) for q in qs] if on_step is not None else []
            tokens = self._forwards(doc, chunks[ci], qs, companion, n)
            processed += tokens
            tokens_read += fresh
            trim(n)
            if on_step is not None:
                on_step(_event(n, pass_no, chunks[ci], tokens, before, qs))
            if progress is not None:
                kept = set().union(*(q.cache for q in qs))
                total = int(lengths[list(kept)].sum()) if kept else 0
                progress(
                    Progress(n + 1, len(schedule), tokens_read, doc.num_tokens * s.passes, total)
                )
        seconds = time.perf_counter() - t0
        starts = np.asarray([c.start for c in chunks], dtype=np.int64)
        states = []
        for q in qs:
            ids = q.cache + list(q.pool)  # the pool joins the cache at the end
            peaks = np.concatenate([q.peaks, np.fromiter(q.pool.values(), np.float32)])
            order = np.argsort(ids, kind="stable")  # a later pass leaves it out of order
            cache = [ids[i] for i in order]
            states.append(
                ReadState(
                    doc, q.parts, cache, peaks[order], starts, len(chunks), processed, seconds
                )
            )
        return states

    def _forwards(
        self,
        doc: PreparedDocument,
        chunk: Sequence[int],
        qs: list[_Question],
        companion: PromptParts | None,
        step_no: int,
    ) -> int:
        """One step for every question: as few forwards as fit the model's positions; the
        number of tokens that went through the model."""
        lengths = doc.lengths
        block = [_block_len(q.parts) + (_block_len(companion) if companion else 0) for q in qs]
        fixed = len(qs[0].parts.prefix) + int(lengths[list(chunk)].sum())
        keyed = [[(q.entered[i], i) for i in q.cache] for q in qs]  # as the union has them
        sizes = {key: lengths[key[1]] for cache in keyed for key in cache}
        limit = max_positions(self.model)  # caches that do not fit together: two forwards
        processed = 0
        for group in steps.groups(keyed, sizes, fixed, block, limit):
            processed += self._step(doc, chunk, [qs[j] for j in group], companion, step_no)
        return processed

    def _step(
        self,
        doc: PreparedDocument,
        chunk: Sequence[int],
        group: list[_Question],
        companion: PromptParts | None,
        step_no: int,
    ) -> int:
        """One forward for the questions of ``group``; updates their caches in place and
        returns the number of tokens that went through the model."""
        prefix = group[0].parts.prefix
        layout = _layout(doc.lengths, chunk, group, len(prefix))
        blocks = []
        for q, view in zip(group, layout.views, strict=True):
            blocks.append(steps.Block(q.parts, view.cols))
            if companion is not None:
                blocks.append(steps.Block(companion, view.cols))
        inp = steps.build(prefix, doc.tokens(layout.context), blocks)
        link = self._link_spec(inp, layout)
        layers = self.pipeline.layers()
        with self.lock:
            found = probe.attention_rows(
                self.model, inp.ids, inp.query_start, layers, inp.mask, inp.positions, link=link
            )
        rows = {key: r.cpu() for key, r in found.items()}  # a few MB: scoring runs on the CPU
        blocks_each = 2 if companion is not None else 1
        for j, (q, view) in enumerate(zip(group, layout.views, strict=True)):
            own, query_cols = _block_rows(rows, layers, inp, j * blocks_each)
            null = None
            if companion is not None:
                null_rows, null_cols = _block_rows(rows, layers, inp, j * blocks_each + 1)
                null = QuestionRows(null_rows, null_cols, view.cols)
            mass = None if link is None else rows[probe.LINK]
            if mass is not None and isinstance(view.cols, torch.Tensor):  # not the context
                mass = _view_mass(mass[view.cols - layout.ctx.start], view.slots)
            question = QuestionRows(own, query_cols, view.cols, companion=null)
            self._update(doc, q, view.sentences, question, mass, step_no)
        return int(inp.ids.shape[1])

    def _link_spec(self, inp: steps.StepInput, layout: _Layout) -> probe.LinkSpec | None:
        """What the link term captures: its head's attention summed per context sentence."""
        link = self.pipeline.link()
        if link is None:
            return None
        n = len(layout.context)
        token_groups = torch.full((inp.ids.shape[1],), n, dtype=torch.long)
        token_groups[layout.ctx] = owner(layout.lengths)
        return probe.LinkSpec(link[0], link[1], layout.ctx.start, layout.ctx.stop, token_groups, n)

    def _update(
        self,
        doc: PreparedDocument,
        q: _Question,
        view: list[int],
        rows: QuestionRows,
        link_mass: torch.Tensor | None,
        step_no: int,
    ) -> None:
        """Score one question's view of the step and keep what its rule keeps."""
        s = self.settings
        view_lengths = doc.lengths[view]
        token_owner = owner(view_lengths)
        term_step = None
        if self.pipeline.terms:
            term_step = TermStep(token_owner, view, doc.token_positions(view), link_mass)
        rows = dataclasses.replace(rows, owner=token_owner)
        scores = self.pipeline.score(rows, term_step, q.state)
        q.seen, q.scores, q.owner = view, scores, token_owner
        best = None
        if s.keep == "best":
            best = np.array([q.best.get(i, -np.inf) for i in view], dtype=np.float32)
        hit, peaks = keep(
            scores, token_owner, view_lengths, s.top_k, s.max_cache_tokens, best, s.step_top_k
        )
        q.cache = [view[i] for i in hit]
        q.peaks = peaks
        if best is not None:
            q.best = {
                i: max(p, q.best.get(i, -np.inf)) for i, p in zip(q.cache, peaks, strict=True)
            }
            if s.pool_tokens is not None:
                left = left_out(scores, token_owner, view, hit, best)
                q.pool = pooled(q.pool, left, q.cache, doc.lengths, s.pool_tokens)
        q.entered = {i: q.entered.get(i, step_no) for i in q.cache}


@dataclass(frozen=True)
class _View:
    """What one question sees of a step's context."""

    sentences: list[int]
    """Its cache, then the chunk's sentences it does not hold."""
    slots: list[int]
    """Each of those sentences' position in the step's context."""
    cols: Columns
    """Their input columns (a slice when they are the whole context, in order)."""


@dataclass(frozen=True)
class _Layout:
    context: list[int]
    """The step's context sentences: the union of the caches, then the chunk."""
    ctx: slice
    """The context's input columns."""
    lengths: np.ndarray
    """Tokens of each context sentence."""
    views: list[_View]


def _layout(
    lengths: np.ndarray, chunk: Sequence[int], group: list[_Question], prefix: int
) -> _Layout:
    """The context of a step for ``group`` and each question's view of it."""
    owns = [set(q.cache) for q in group]
    union = sorted({(q.entered[i], i) for q in group for i in q.cache})
    # a chunk sentence that some question does not hold is read in the chunk, after
    # every cache (where a read of that question alone has it), even if another holds it
    tail = [i for i in chunk if not all(i in own for own in owns)]
    context = [i for _, i in union] + tail
    ctx_lengths = lengths[context]
    ctx = slice(prefix, prefix + int(ctx_lengths.sum()))
    col_start = prefix + np.concatenate([[0], np.cumsum(ctx_lengths)[:-1]])
    cached = {key: i for i, key in enumerate(union)}
    read_now = {sid: len(union) + i for i, sid in enumerate(tail)}
    views = []
    for q, own in zip(group, owns, strict=True):
        rest = [i for i in chunk if i not in own]
        slots = [cached[q.entered[i], i] for i in q.cache] + [read_now[i] for i in rest]
        whole = slots == list(range(len(context)))
        cols = ctx if whole else steps.columns(col_start, ctx_lengths, slots)
        views.append(_View([*q.cache, *rest], slots, cols))
    return _Layout(context, ctx, ctx_lengths, views)


def _view_mass(mass: torch.Tensor, slots: list[int]) -> torch.Tensor:
    """The link head's per-sentence mass as a read of this view alone would see it: the
    context tokens also attend to other questions' cache sentences, so the mass on the
    view's sentences is renormalised by what those others took (a softmax restricted to
    fewer keys), lest the link fade as the union grows."""
    others = torch.ones(mass.shape[1], dtype=torch.bool)
    others[slots] = False
    seen = 1.0 - mass[:, others].sum(dim=1, keepdim=True)
    return mass[:, slots] / seen.clamp_min(1e-6)


def _event(
    n: int,
    pass_no: int,
    chunk: Sequence[int],
    tokens: int,
    before: list[list[int]],
    qs: list[_Question],
) -> StepEvent:
    each = (
        question_step(b, q.seen, q.scores, q.owner, q.cache, q.peaks)
        for b, q in zip(before, qs, strict=True)
    )
    return StepEvent(n, pass_no, tuple(chunk), tokens, tuple(each))


def _block_len(p: PromptParts) -> int:
    return len(p.middle) + len(p.question) + len(p.suffix)


def _block_rows(
    rows: dict[int, torch.Tensor], layers: list[int], inp: steps.StepInput, b: int
) -> tuple[dict[int, torch.Tensor], slice]:
    """Block ``b``'s (H, Q, K) rows of every layer, and its question-to-end columns."""
    q0, q1 = inp.spans[b]
    own = slice(q0 - inp.query_start, q1 - inp.query_start)
    return {layer: rows[layer][0][:, own] for layer in layers}, slice(q0, q1)
