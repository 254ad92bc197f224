"""The read loop (cache + chunk + question -> new cache) and the answer from the cache."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from . import calibration, heads, lexical, link, link_calibration, models, null, probe, scoring
from .cancel import CancelToken, check, resolve
from .chunking import pack
from .config import InfiniRetriConfig, LayerSpec
from .document import DocumentInput, PreparedDocument, check_text, prepare
from .errors import ConfigError, InputError
from .families import decoder_layers, stop_token_ids
from .memory import PeakRss, trim
from .prompt import PromptParts, prompt_parts
from .tokens import encode_one
from .types import Answer, Evidence, Progress, Selection

ProgressCallback = Callable[[Progress], None]


@dataclass
class _ReadState:
    doc: PreparedDocument
    parts: PromptParts
    cache: list[int]
    """Sentence ids of the cache, in document order."""
    peaks: np.ndarray
    """Each cached sentence's peak token score in the last step."""
    chunk_starts: np.ndarray
    """First sentence id of each chunk (to tell in which chunk a sentence was read)."""
    num_chunks: int
    tokens_processed: int
    seconds: float
    memory: PeakRss | None = None


class InfiniRetri:
    """InfiniRetri over a local causal LM: read any length in chunks, keep what attention keeps.

    One engine may be shared by threads: model calls are serialized by a lock, and no state
    is carried from one call to the next.
    """

    def __init__(
        self, model: Any, tokenizer: Any, config: InfiniRetriConfig | None = None, **options: Any
    ) -> None:
        self.config = (config or InfiniRetriConfig()).replace(**options)
        self.model = model
        self.tokenizer = tokenizer
        probe.install(model)
        self.num_layers = len(decoder_layers(model))
        self._lock = threading.RLock()
        if self.config.heads is not None:
            heads.check(self.config.heads, self.num_layers, model.config.num_attention_heads)
            self.layer = max(heads.layers(self.config.heads))  # the deepest layer read
        else:
            self.layer = self._resolve_layer(self.config.layer)
        self.link_head = self._resolve_link_head(self.config.link_head)
        self._stop_ids = stop_token_ids(tokenizer, model)

    @classmethod
    def from_pretrained(
        cls,
        model: str | None = None,
        *,
        dtype: str | torch.dtype = "auto",
        trust_remote_code: bool = False,
        device: str | None = None,
        config: InfiniRetriConfig | None = None,
        **options: Any,
    ) -> InfiniRetri:
        """Load a model (``None``: the embedded SmolLM2-135M-Instruct, offline) and wrap it.

        ``options`` are :class:`InfiniRetriConfig` fields, e.g. ``chunk_size=1024, top_k=300``.
        """
        config = (config or InfiniRetriConfig()).replace(**options)  # validate before loading
        lm, tokenizer = models.load(
            model, dtype=dtype, trust_remote_code=trust_remote_code, device=device
        )
        return cls(lm, tokenizer, config)

    def __repr__(self) -> str:
        name = getattr(self.model.config, "_name_or_path", "") or type(self.model).__name__
        cfg = self.config
        return (
            f"InfiniRetri(model={name!r}, layer={self.layer}, "
            f"chunk_size={cfg.chunk_size}, top_k={cfg.top_k})"
        )

    # -- public API -------------------------------------------------------------------

    def select(
        self,
        document: DocumentInput,
        question: str,
        progress: ProgressCallback | None = None,
        *,
        cancel: CancelToken | None = None,
    ) -> Selection:
        """Retrieval only: the sentences the model's attention kept, with offsets.

        ``document`` is a str, or a sequence of str read as one text (pages, nodes); then
        each evidence's ``source`` names its part and its offsets are relative to that part.
        Setting ``cancel`` (a ``threading.Event``) stops the read before its next chunk with
        :class:`Cancelled`.
        """
        state = self._read(document, question, progress, resolve(cancel))
        return self._selection(state)

    def answer(
        self,
        document: DocumentInput,
        question: str,
        progress: ProgressCallback | None = None,
        max_new_tokens: int | None = None,
        *,
        cancel: CancelToken | None = None,
    ) -> Answer:
        """Read ``document`` and answer ``question`` from the kept sentences (greedy)."""
        token = resolve(cancel)
        selection, writer, n_tokens, input_ids = self._answer_input(
            document, question, progress, token
        )
        with self._lock:
            text = self._generate(input_ids, max_new_tokens, None, _is_set(token))
        check(token)
        return self._answer(text, selection, writer, n_tokens)

    def select_many(
        self,
        document: DocumentInput,
        questions: Sequence[str],
        progress: ProgressCallback | None = None,
        *,
        cancel: CancelToken | None = None,
    ) -> list[Selection]:
        """:meth:`select` for several questions over one reading (one Selection each, in order).

        The document is prepared once and every chunk goes through the model once for all
        questions (see ``multi.py``); each question keeps its own cache. ``progress`` gets
        one report per chunk, ``tokens_kept`` being the union of the caches.
        """
        from .multi import read_many

        states = read_many(self, document, questions, progress, resolve(cancel))
        return [self._selection(s) for s in states]

    def answer_many(
        self,
        document: DocumentInput,
        questions: Sequence[str],
        progress: ProgressCallback | None = None,
        max_new_tokens: int | None = None,
        *,
        cancel: CancelToken | None = None,
    ) -> list[Answer]:
        """:meth:`answer` for several questions over one reading; answers are generated one
        question after the other (greedy), each from its own cache."""
        from .multi import read_many

        token = resolve(cancel)
        states = read_many(self, document, questions, progress, token)
        answers = []
        for state in states:
            check(token)
            selection, writer, n_tokens, input_ids = self._writer_input(state)
            with self._lock:
                text = self._generate(input_ids, max_new_tokens, None, _is_set(token))
            check(token)
            answers.append(self._answer(text, selection, writer, n_tokens))
        return answers

    def stream_answer(
        self,
        document: DocumentInput,
        question: str,
        progress: ProgressCallback | None = None,
        max_new_tokens: int | None = None,
        *,
        cancel: CancelToken | None = None,
    ) -> AnswerStream:
        """Like :meth:`answer`, yielding the answer's text as it is generated.

        Reading happens on the first ``next()``; once exhausted, ``.answer`` holds the
        full :class:`Answer` (evidence included), so nothing is read twice.
        """
        return AnswerStream(self._stream(document, question, progress, max_new_tokens, cancel))

    def _stream(
        self,
        document: DocumentInput,
        question: str,
        progress: ProgressCallback | None,
        max_new_tokens: int | None,
        cancel: CancelToken | None,
    ) -> Iterator[str | Selection | Answer]:
        from transformers import TextIteratorStreamer

        token = resolve(cancel)  # resolved on the first next(), in the consumer's context
        selection, writer, n_tokens, input_ids = self._answer_input(
            document, question, progress, token
        )
        yield selection
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        errors: list[BaseException] = []
        texts: list[str] = []
        abandoned = threading.Event()
        cancelled = _is_set(token)

        def stop() -> bool:
            return abandoned.is_set() or (cancelled is not None and cancelled())

        def run() -> None:
            try:
                with self._lock:
                    texts.append(self._generate(input_ids, max_new_tokens, streamer, stop))
            except BaseException as exc:  # surfaced to the consumer below
                errors.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, name="infiniretri-generate", daemon=True)
        worker.start()
        try:
            yield from (piece for piece in streamer if piece)
        finally:
            # A consumer that stops early (close(), a cancelled task) stops the generation
            # at the next token; waiting for it frees the model for the next call and never
            # leaves a thread inside torch (which aborts the interpreter at exit).
            abandoned.set()
            worker.join()
        if errors:
            raise errors[0]
        check(token)
        yield self._answer(texts[0], selection, writer, n_tokens)

    def write(self, context: str, question: str, max_new_tokens: int | None = None) -> str:
        """Answer ``question`` from a ``context`` given as is (no reading), with the engine's
        prompt and greedy decoding: the writer other retrievers are compared with."""
        check_text(question, "question")
        if not isinstance(context, str):
            raise InputError(f"context must be a str, got {type(context).__name__}")
        parts = prompt_parts(self.tokenizer, self.config.prompt_template, question)
        input_ids, _, _ = parts.build(encode_one(self.tokenizer, context))
        with self._lock:
            return _clean(self._generate(input_ids, max_new_tokens))

    def answer_prompt(self, selection: Selection, question: str) -> str:
        """The prompt text a separate writer (any LLM) should answer from."""
        check_text(question, "question")
        return self.config.prompt_template.format(
            context=selection.context, question=question.strip()
        )

    # -- reading ----------------------------------------------------------------------

    def prepare(self, document: DocumentInput) -> PreparedDocument:
        return prepare(
            document,
            self.tokenizer,
            self.config.max_sentence_tokens,
            self.config.abbreviation_chars,
            self.config.max_document_tokens,
        )

    def _parts(self, question: str) -> PromptParts:
        check_text(question, "question")
        parts = prompt_parts(self.tokenizer, self.config.prompt_template, question)
        budget = self.config.chunk_size
        if parts.fixed_tokens - len(parts.question) >= budget:
            raise ConfigError(
                f"the prompt template alone takes {parts.fixed_tokens - len(parts.question)} "
                f"tokens, not less than chunk_size ({budget}): raise chunk_size"
            )
        if parts.fixed_tokens >= budget:
            raise InputError(
                f"the question takes {len(parts.question)} tokens; with the prompt that is "
                f"{parts.fixed_tokens}, not less than chunk_size ({budget}): shorten the "
                "question or raise chunk_size"
            )
        return parts

    def _read(
        self,
        document: DocumentInput,
        question: str,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> _ReadState:
        with PeakRss() as memory:
            state = self._read_chunks(document, question, progress, cancel)
        state.memory = memory
        return state

    def _read_chunks(
        self,
        document: DocumentInput,
        question: str,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> _ReadState:
        cfg = self.config
        parts = self._parts(question)
        check(cancel)
        doc = self.prepare(document)
        t0 = time.perf_counter()
        lengths = doc.lengths
        chunks = pack(lengths.tolist(), cfg.chunk_size)
        cache: list[int] = []
        peaks = np.zeros(0, dtype=np.float32)
        weights: torch.Tensor | None = None
        processed = read = 0
        null_parts = None if cfg.null_question is None else self._parts(cfg.null_question)
        null_weights: torch.Tensor | None = None
        steps = [(p, ci) for p in range(cfg.passes) for ci in range(len(chunks))]
        match = self._match_prior(doc, parts.question)
        for step, (pass_no, ci) in enumerate(steps):
            check(cancel)
            chunk: Sequence[int] = chunks[ci]
            if pass_no:  # a later pass: what the cache holds is not read again
                held = set(cache)
                chunk = [s for s in chunk if s not in held]
            context = [*cache, *chunk]
            ctx_lengths = lengths[context]
            owner = _owner(ctx_lengths)
            if null_parts is not None:
                with self._lock:
                    summed, null_rows, ctx, q_cols, n_cols, n_tokens = null.step_rows(
                        self.model, self.layer, parts, null_parts, doc.tokens(context)
                    )
                if weights is None and cfg.use_question_weight:
                    weights = scoring.question_weights(summed, q_cols)
                    null_weights = scoring.question_weights(null_rows, n_cols)
                scores = null.calibrated_scores(
                    summed, null_rows, ctx, cfg.phrase_token_num, weights, null_weights
                )
            else:
                input_ids, ctx, query_start = parts.build(doc.tokens(context))
                n_tokens = input_ids.shape[1]
                layers = [self.layer] if cfg.heads is None else heads.layers(cfg.heads)
                linking = None
                if self.link_head is not None:
                    groups = torch.full((input_ids.shape[1],), len(context), dtype=torch.long)
                    groups[ctx] = owner
                    linking = probe.LinkSpec(
                        self.layer, self.link_head, ctx.start, ctx.stop, groups, len(context)
                    )
                with self._lock:
                    rows = probe.attention_rows(
                        self.model, input_ids, query_start, layers, link=linking
                    )
                if cfg.heads is not None:
                    scores = heads.token_scores(
                        rows,
                        cfg.heads,
                        slice(None),
                        slice(query_start, None),
                        ctx,
                        cfg.phrase_token_num,
                        cfg.use_question_weight,
                    )
                else:
                    summed = rows[self.layer][0].sum(dim=0)  # heads summed: (Q, K)
                    if weights is None and cfg.use_question_weight:
                        weights = scoring.question_weights(summed, slice(query_start, None))
                    scores = scoring.token_scores(summed, ctx, cfg.phrase_token_num, weights)
            if match is not None:
                scores = lexical.add_prior(
                    scores, match[doc.token_positions(context)], cfg.match_weight
                )
            if self.link_head is not None:
                linked = link.link_scores(rows[probe.LINK], scores, owner)
                scores = scores + cfg.link_weight * linked
            sent_peaks = scoring.sentence_peaks(scores, owner, len(context)).numpy()
            hit = np.unique(owner[scoring.top_tokens(scores, cfg.top_k)].numpy())
            hit = _best_within(hit, ctx_lengths, sent_peaks, cfg.max_cache_tokens)
            cache = [context[i] for i in hit]
            peaks = sent_peaks[hit]
            processed += n_tokens
            read += int(ctx_lengths[len(context) - len(chunk) :].sum())
            trim(step)
            if progress is not None:
                progress(
                    Progress(
                        step + 1,
                        len(steps),
                        read,
                        doc.num_tokens * cfg.passes,
                        int(lengths[cache].sum()) if cache else 0,
                    )
                )
        order = np.argsort(cache, kind="stable")  # a later pass leaves it out of order
        return _ReadState(
            doc,
            parts,
            [cache[i] for i in order],
            peaks[order],
            np.asarray([c.start for c in chunks], dtype=np.int64),
            len(chunks),
            processed,
            time.perf_counter() - t0,
        )

    def _match_prior(self, doc: PreparedDocument, question: list[int]) -> torch.Tensor | None:
        """The exact-match prior of every document token (``None`` when the option is off)."""
        cfg = self.config
        if not cfg.match_weight:
            return None
        prior = lexical.question_prior(
            self.tokenizer, doc.ids, doc.offsets, question, cfg.match_max_n, cfg.match_max_share
        )
        return torch.from_numpy(prior)

    def _answer_input(
        self,
        document: DocumentInput,
        question: str,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> tuple[Selection, list[int], int, torch.Tensor]:
        state = self._read(document, question, progress, cancel)
        check(cancel)
        return self._writer_input(state)

    def _writer_input(self, state: _ReadState) -> tuple[Selection, list[int], int, torch.Tensor]:
        """The selection, the writer's sentences, their token count and the writer's input."""
        selection = self._selection(state)
        positions = np.arange(len(state.cache))
        chosen = _best_within(
            positions, state.doc.lengths[state.cache], state.peaks, self.config.answer_max_tokens
        )
        if self.config.writer_order == "score":  # best last, next to the question
            chosen = chosen[np.argsort(state.peaks[chosen], kind="stable")]
        writer = [state.cache[i] for i in chosen]
        tokens = state.doc.tokens(writer)
        input_ids, _, _ = state.parts.build(tokens)
        return selection, writer, len(tokens), input_ids

    @staticmethod
    def _answer(text: str, selection: Selection, writer: list[int], n_tokens: int) -> Answer:
        seen = set(writer)
        writer_evidence = [e for e in selection.evidence if e.sentence in seen]
        return Answer(_clean(text), selection.evidence, selection, n_tokens, writer_evidence)

    def _generate(
        self,
        input_ids: torch.Tensor,
        max_new_tokens: int | None,
        streamer: Any = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> str:
        from transformers import GenerationConfig

        gen = GenerationConfig(
            max_new_tokens=max_new_tokens or self.config.max_new_tokens,
            do_sample=False,
            eos_token_id=self._stop_ids or None,
            pad_token_id=self.tokenizer.pad_token_id
            if self.tokenizer.pad_token_id is not None
            else (self._stop_ids or [0])[0],
        )
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                generation_config=gen,
                streamer=streamer,
                stopping_criteria=StoppingCriteriaList([_StopWhen(should_stop)])
                if should_stop
                else None,
            )
        return str(self.tokenizer.decode(out[0, input_ids.shape[1] :], skip_special_tokens=True))

    def _selection(self, state: _ReadState) -> Selection:
        doc = state.doc
        top = float(state.peaks.max()) if len(state.peaks) else 1.0
        chunk_of = np.searchsorted(state.chunk_starts, state.cache, side="right") - 1
        evidence = []
        for sid, peak, chunk in zip(state.cache, state.peaks, chunk_of, strict=True):
            start, end = doc.span(sid)
            part, local_start, local_end = doc.locate(start, end)
            evidence.append(
                Evidence(
                    doc.text[start:end],
                    local_start,
                    local_end,
                    float(peak) / top if top > 0 else 0.0,
                    int(chunk),
                    sid,
                    part,
                )
            )
        kept = int(doc.lengths[state.cache].sum()) if state.cache else 0
        return Selection(
            evidence,
            doc.num_tokens,
            kept,
            state.num_chunks,
            self.layer,
            state.tokens_processed,
            state.seconds,
            state.memory.peak if state.memory else None,
            state.memory.start if state.memory else None,
        )

    # -- configuration ----------------------------------------------------------------

    def _resolve_link_head(self, head: int | str | None) -> int | None:
        if head is None:
            return None
        if head == "auto":
            return link_calibration.calibrated_link_head(self)
        assert isinstance(head, int)
        n = int(self.model.config.num_attention_heads)
        if head >= n:
            raise ConfigError(f"link_head {head} does not exist: layer {self.layer} has {n} heads")
        return head

    def _resolve_layer(self, layer: LayerSpec) -> int:
        n = self.num_layers
        if layer == "last":
            return n - 1
        if layer == "auto":
            return calibration.calibrated_layer(self)
        assert isinstance(layer, int)
        if not -n <= layer < n:
            raise ConfigError(f"layer {layer} is out of range for a model with {n} layers")
        return layer % n


class AnswerStream(Iterator[str]):
    """Iterates over the answer's text pieces.

    ``.selection`` is set once the document is read (before the first piece is returned),
    ``.answer`` once the stream is exhausted.
    """

    def __init__(self, source: Iterator[str | Selection | Answer]) -> None:
        self._source = source
        self.selection: Selection | None = None
        self.answer: Answer | None = None

    def __iter__(self) -> AnswerStream:
        return self

    def close(self) -> None:
        """Stop early: the generation stops at its next token and frees the model."""
        close = getattr(self._source, "close", None)
        if close is not None:
            close()

    def __next__(self) -> str:
        item = next(self._source)
        if isinstance(item, Selection):
            self.selection = item
            item = next(self._source)
        if isinstance(item, Answer):
            self.answer = item
            raise StopIteration
        assert isinstance(item, str)
        return item


class _StopWhen(StoppingCriteria):
    """A generation stopping criterion: stop every sequence once ``should_stop()`` is true."""

    def __init__(self, should_stop: Callable[[], bool]) -> None:
        self.should_stop = should_stop

    def __call__(self, ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        return torch.full((ids.shape[0],), self.should_stop(), dtype=torch.bool, device=ids.device)


def _is_set(token: CancelToken | None) -> Callable[[], bool] | None:
    return token.is_set if token is not None else None


def _best_within(
    items: np.ndarray, lengths: np.ndarray, peaks: np.ndarray, budget: int | None
) -> np.ndarray:
    """Highest-peak ``items`` whose lengths fit ``budget``, returned in their original order."""
    if budget is None or int(lengths[items].sum()) <= budget:
        return items
    order = items[np.argsort(-peaks[items], kind="stable")]
    chosen, total = [], 0
    for i in order:
        n = int(lengths[i])
        if total + n <= budget:
            chosen.append(i)
            total += n
    return np.sort(np.asarray(chosen, dtype=items.dtype))


def _owner(lengths: np.ndarray) -> torch.Tensor:
    """Each token's position among the sentences of ``lengths``."""
    return torch.from_numpy(np.repeat(np.arange(len(lengths)), lengths))


def _clean(text: str) -> str:
    """Strip, and drop a reasoning block (``...</think>``) as the authors do."""
    if "</think>" in text:
        text = text[text.rfind("</think>") + len("</think>") :]
    return text.strip()
