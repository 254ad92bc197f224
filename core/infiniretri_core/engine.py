"""The front door: load a model, read documents, answer from what the reading kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import torch

from . import families, models, probe, scoring
from .cancel import CancelToken, check, poll, resolve
from .config import InfiniRetriConfig
from .document import DocumentInput, PreparedDocument, check_questions, check_text, prepare
from .engine_options import EngineOptions
from .local_writer import WRITER_OPTIONS, LocalWriter
from .memory import PeakRss
from .prompt import PromptParts, reading_parts
from .reading import ProgressCallback, Reader, ReadSettings, ReadState
from .rerank import RANKER_OPTIONS, rerank_states
from .scoring import Scorer
from .stream import AnswerStream, pieces
from .types import Answer, Evidence, Selection, join_evidence
from .writer import clean, writer_sentences


class InfiniRetri:
    """InfiniRetri over a local causal LM: read any length in chunks, keep what attention keeps.

    One engine may be shared by threads: model calls are serialized by a lock, and no state
    is carried from one call to the next. ``scorer`` replaces the scorer the options choose
    by one's own (:class:`scoring.Scorer`); the terms (link, exact match) still apply.
    ``ranker`` (an engine built with :data:`rerank.RANKER_OPTIONS`) ranks each read's final
    cache again, all of it in one forward: a cascade, when its model is the stronger one.
    ``writer`` (an engine) answers with its model from the evidence this one kept and
    budgeted, given as text; ``None``: this engine's model writes.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        config: InfiniRetriConfig | None = None,
        *,
        scorer: Scorer | None = None,
        ranker: InfiniRetri | None = None,
        writer: InfiniRetri | None = None,
        **options: Any,
    ) -> None:
        cfg = (config or InfiniRetriConfig()).replace(**options)
        self._build(EngineOptions(model, tokenizer, cfg, scorer, ranker=ranker, writer=writer))

    def _build(self, options: EngineOptions) -> None:
        self.config = cfg = options.config
        self.model = model = options.model
        self.tokenizer = tokenizer = options.tokenizer
        probe.install(model)
        self.num_layers = len(families.decoder_layers(model))
        self.lock = options.lock or threading.RLock()
        self._options = resolved = options.resolved(self.lock)
        assert resolved.layer is not None
        self.layer, self.link_head = resolved.layer, resolved.link_head
        self.pipeline = scoring.build(
            cfg, self.layer, self.link_head, options.scorer, resolved.heads
        )
        settings = ReadSettings.from_config(cfg)
        self._reader = Reader(model, tokenizer, self.lock, self.pipeline, settings)
        self.ranker: InfiniRetri | None = options.ranker
        self.writer: InfiniRetri | None = options.writer
        host = options.writer or self
        self._writing = LocalWriter.of(host.model, host.tokenizer, host.lock, cfg.repeat_guard)

    def options(self) -> EngineOptions:
        """Everything this engine was built from, its layer and link head resolved: change
        some with ``.replace(...)`` and rebuild with :meth:`from_options`."""
        return self._options

    @classmethod
    def from_options(cls, options: EngineOptions) -> InfiniRetri:
        """The engine of ``options`` (from :meth:`options`: an equal engine, sharing the
        model and its lock, with the same scorer, and nothing calibrated again)."""
        engine = cls.__new__(cls)
        engine._build(options)
        return engine

    @classmethod
    def from_portable(cls, data: Mapping[str, Any]) -> InfiniRetri:
        """The engine a worker process loads from :meth:`EngineOptions.portable` data: the
        same weights (by name), device, dtype, options, scorer, layer and link head."""
        ranker = cls.from_portable(data["ranker"]) if data.get("ranker") else None
        written = data.get("writer")
        writer = ranker if written == "ranker" else cls.from_portable(written) if written else None
        lm, tokenizer = models.load(data["model"], dtype=data["dtype"], device=data["device"])
        return cls.from_options(EngineOptions.from_portable(data, lm, tokenizer, ranker, writer))

    @classmethod
    def from_pretrained(
        cls,
        model: str | None = None,
        *,
        dtype: str | torch.dtype = "auto",
        trust_remote_code: bool = False,
        device: str | torch.device | None = "auto",
        config: InfiniRetriConfig | None = None,
        scorer: Scorer | None = None,
        ranker: str | InfiniRetri | None = None,
        writer: str | InfiniRetri | None = None,
        **options: Any,
    ) -> InfiniRetri:
        """Load a model (``None``: the embedded SmolLM2-135M-Instruct, offline) and wrap it.

        ``device="auto"`` puts it on CUDA, else Apple MPS, else the CPU; ``dtype="auto"`` then
        picks the fastest faithful dtype there (see :func:`models.default_dtype`).

        ``options`` are :class:`InfiniRetriConfig` fields, e.g. ``chunk_size=1024, top_k=300``.
        ``ranker``: a model name or path loaded as the cascade's ranker (or an engine).
        ``writer``: a model name or path loaded to write the answers (or an engine); the
        ranker's model when it names the same one (loaded once).
        """
        config = (config or InfiniRetriConfig()).replace(**options)  # validate before loading
        load: dict[str, Any] = dict(dtype=dtype, trust_remote_code=trust_remote_code, device=device)
        ranker_name = ranker
        if isinstance(ranker, str):  # loaded as the reader is
            ranker = cls.from_pretrained(ranker, **load, **RANKER_OPTIONS)
        if isinstance(writer, str):
            same = writer == ranker_name
            writer = ranker if same else cls.from_pretrained(writer, **load, **WRITER_OPTIONS)
        lm, tokenizer = models.load(model, **load)
        return cls(lm, tokenizer, config, scorer=scorer, ranker=ranker, writer=writer)

    def __repr__(self) -> str:
        name = families.model_name(self.model) or type(self.model).__name__
        cfg = self.config
        return (
            f"InfiniRetri(model={name!r}, scoring={cfg.scoring!r}, layer={self.layer}, "
            f"chunk_size={cfg.chunk_size}, top_k={cfg.top_k})"
        )

    # -- reading ----------------------------------------------------------------------

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
        (state,) = self._read(document, [question], progress, resolve(cancel))
        return self._selection(state, document, question)

    def select_many(
        self,
        document: DocumentInput,
        questions: Sequence[str],
        progress: ProgressCallback | None = None,
        *,
        cancel: CancelToken | None = None,
    ) -> list[Selection]:
        """:meth:`select` for several questions over one reading (one Selection each, in order).

        Each question sees exactly what it would see alone (its own cache and the chunk), so
        ``select_many([q])`` is ``select(q)``; the chunk goes through the model once per step
        for all of them. Progress is reported once per step, ``tokens_kept`` being the union
        of the caches.
        """
        questions = check_questions(questions)
        states = self._read(document, questions, progress, resolve(cancel))
        return [self._selection(s, document, q) for s, q in zip(states, questions, strict=True)]

    def select_for_writer(
        self,
        document: DocumentInput,
        question: str,
        progress: ProgressCallback | None = None,
        *,
        cancel: CancelToken | None = None,
    ) -> tuple[Selection, list[Evidence]]:
        """:meth:`select`, and the evidence :meth:`answer`'s writer would read, in its order
        (``answer_max_tokens``, ``writer_order``): for a writer of one's own."""
        (state,) = self._read(document, [question], progress, resolve(cancel))
        selection = self._selection(state, document, question)
        return selection, [selection.evidence[i] for i in self._writer_positions(state)]

    def prepare(self, document: DocumentInput) -> PreparedDocument:
        """The document segmented and tokenized as a read sees it."""
        cfg = self.config
        return prepare(
            document,
            self.tokenizer,
            cfg.max_sentence_tokens,
            cfg.abbreviation_chars,
            cfg.max_document_tokens,
        )

    def question_parts(self, question: str) -> PromptParts:
        """The prompt around ``question`` while reading (checked to leave room for a chunk)."""
        return reading_parts(
            self.tokenizer, self.config.prompt_template, question, self.config.chunk_size
        )

    def _read(
        self,
        document: DocumentInput,
        questions: list[str],
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> list[ReadState]:
        parts = [self.question_parts(q) for q in questions]
        companion = self.pipeline.scorer.companion
        extra = None if companion is None else self.question_parts(companion)
        check(cancel)
        with PeakRss() as memory:
            doc = self.prepare(document)
            states = self._reader.read(doc, parts, extra, progress, cancel)
            if self.ranker is not None:
                rerank_states(self.ranker, states, questions)
        for state in states:
            state.memory = memory
        return states

    # -- answering --------------------------------------------------------------------

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
        return self.answer_many(document, [question], progress, max_new_tokens, cancel=cancel)[0]

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
        token = resolve(cancel)
        questions = check_questions(questions)
        states = self._read(document, questions, progress, token)
        answers = []
        for state, question in zip(states, questions, strict=True):
            check(token)
            draft, input_ids = self._writer_input(state, document, question)
            guard = self._writing.guard(input_ids, poll(token))
            text = self._writing.generate(input_ids, self._new_tokens(max_new_tokens), guard)
            check(token)
            answers.append(replace(draft, text=clean(text)))
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
        token = resolve(cancel)  # resolved on the first next(), in the consumer's context
        (state,) = self._read(document, [question], progress, token)
        check(token)
        draft, input_ids = self._writer_input(state, document, question)
        yield draft.selection
        texts: list[str] = []
        guard = self._writing.guard(input_ids)
        streamer = self._writing.streamer(guard)
        n = self._new_tokens(max_new_tokens)
        generate = lambda: self._writing.generate(input_ids, n, guard, streamer)  # noqa: E731
        yield from pieces(streamer, generate, poll(token), texts)
        check(token)
        yield replace(draft, text=clean(texts[0]))

    def write(self, context: str, question: str, max_new_tokens: int | None = None) -> str:
        """Answer ``question`` from a ``context`` given as is (no reading), with the engine's
        prompt and greedy decoding: the writer other retrievers are compared with."""
        check_text(question, "question")
        check_text(context, "context", allow_empty=True)
        input_ids, _ = self._writing.input_ids(self.config.prompt_template, question, context)
        return clean(self._writing.generate(input_ids, self._new_tokens(max_new_tokens)))

    def answer_prompt(self, evidence: Selection | Sequence[Evidence], question: str) -> str:
        """The prompt text a separate writer (any LLM) should answer from: a selection's whole
        cache, or the evidence given (the budget of :meth:`select_for_writer`), in its order."""
        check_text(question, "question")
        context = evidence.context if isinstance(evidence, Selection) else join_evidence(evidence)
        return self.config.prompt_template.format(context=context, question=question.strip())

    def _writer_positions(self, state: ReadState) -> list[int]:
        cfg = self.config
        lengths = state.doc.lengths[state.cache]
        return writer_sentences(lengths, state.peaks, cfg.answer_max_tokens, cfg.writer_order)

    def _selection(self, state: ReadState, document: DocumentInput, question: str) -> Selection:
        """The state's selection, holding what was read (a reference, parts as a tuple) and
        the question, for its page (``to_html``, Jupyter)."""
        read = document if isinstance(document, str) else tuple(document)
        return replace(state.selection(self.layer), document=read, question=question)

    def _writer_input(
        self, state: ReadState, document: DocumentInput, question: str
    ) -> tuple[Answer, torch.Tensor]:
        """The answer to fill in (selection, writer's evidence) and the writer's input ids:
        the reader's own token ids when it writes, else the evidence as text."""
        positions = self._writer_positions(state)
        selection = self._selection(state, document, question)
        if self.writer is None:
            tokens = state.doc.tokens([state.cache[i] for i in positions])
            input_ids, size = state.parts.build(tokens)[0], len(tokens)
        else:
            text = join_evidence([selection.evidence[i] for i in positions])
            input_ids, size = self._writing.input_ids(self.config.prompt_template, question, text)
        evidence = [selection.evidence[i] for i in sorted(positions)]
        return Answer("", selection.evidence, selection, size, evidence), input_ids

    def _new_tokens(self, max_new_tokens: int | None) -> int:
        return max_new_tokens or self.config.max_new_tokens
