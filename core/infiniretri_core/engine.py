"""The front door: load a model, read documents, answer from what the reading kept."""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import torch

from . import families, models, probe, scoring
from .answering import Answering
from .cancel import CancelToken, check, resolve
from .cascade import choose_ranker
from .config import InfiniRetriConfig
from .document import DocumentInput, PreparedDocument, check_questions, prepare
from .engine_options import EngineOptions
from .local_writer import WRITER_OPTIONS, PendingWriter, choose_writer
from .memory import PeakRss
from .prompt import PromptParts, reading_parts
from .reading import ProgressCallback, Reader, ReadSettings, ReadState
from .rerank import RANKER_OPTIONS, rerank_states
from .scoring import Scorer
from .types import Evidence, Selection


class InfiniRetri(Answering):
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
        written = data.get("writer") or {}
        writer = ranker if written == "ranker" else cls._portable_writer(written)
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
        ranker: str | InfiniRetri | None = "auto",
        writer: str | InfiniRetri | None = "auto",
        **options: Any,
    ) -> InfiniRetri:
        """Load a model (``None``: the embedded SmolLM2-135M-Instruct, offline) and wrap it.

        ``device="auto"`` puts it on CUDA, else Apple MPS, else the CPU; ``dtype="auto"`` then
        picks the fastest faithful dtype there (see :func:`models.default_dtype`).

        ``options`` are :class:`InfiniRetriConfig` fields, e.g. ``chunk_size=1024, top_k=300``,
        or ``scoring=`` a preset.
        ``ranker``: a model name or path loaded as the cascade's ranker (or an engine), one
        copy per process. ``"auto"``: for the embedded reader with ``scoring="focused"``,
        :data:`cascade.DEFAULT_RANKER` (the cascade); for any other read or reader, none.
        ``writer``: a model name or path loaded to write the answers (or an engine); the
        ranker when it names the same model. ``"auto"``: for the embedded reader,
        :data:`local_writer.DEFAULT_WRITER` (the default ranker's model), loaded on the first
        answer unless the ranker holds it, reading ``answer_max_tokens=400`` unless set; for
        any other reader, the reader. ``None``: the reader writes.
        """
        ranker = choose_ranker(model, ranker, config, options)
        config = (config or InfiniRetriConfig()).replace(**options)  # validate before loading
        load: dict[str, Any] = dict(dtype=dtype, trust_remote_code=trust_remote_code, device=device)
        ranker_name = ranker
        if isinstance(ranker, str):  # loaded as the reader is
            ranker = shared_ranker(ranker, **load)
        pending = lambda name: cls._pending_writer(name, load)  # noqa: E731
        given = "answer_max_tokens" in options
        writer, config = choose_writer(model, writer, config, given, ranker_name, pending)
        if isinstance(writer, str):
            writer = ranker if writer == ranker_name else shared_writer(writer, **load)
        lm, tokenizer = models.load(model, **load)
        return cls(lm, tokenizer, config, scorer=scorer, ranker=ranker, writer=writer)

    @classmethod
    def _pending_writer(cls, name: str, load: Mapping[str, Any]) -> PendingWriter:
        """The default writer, pending; loaded once per process for every engine that names
        it with the same settings (one copy of its weights)."""
        return PendingWriter(name, load, lambda: shared_writer(name, **load))

    @classmethod
    def _portable_writer(cls, data: Mapping[str, Any]) -> InfiniRetri | PendingWriter | None:
        """A writer from its portable data: pending stays pending (``PendingWriter.portable``)."""
        if "pending" in data:
            return cls._pending_writer(data["pending"], {k: data[k] for k in ("dtype", "device")})
        return cls.from_portable(data) if data else None

    def __repr__(self) -> str:
        cfg = self.config
        ranker = "" if self.ranker is None else f"ranker={_name(self.ranker.model)!r}, "
        return (
            f"InfiniRetri(model={_name(self.model)!r}, scoring={cfg.scoring!r}, {ranker}"
            f"layer={self.layer}, chunk_size={cfg.chunk_size}, top_k={cfg.top_k})"
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

    def _selection(self, state: ReadState, document: DocumentInput, question: str) -> Selection:
        """The state's selection, holding what was read (a reference, parts as a tuple) and
        the question, for its page (``to_html``, Jupyter)."""
        read = document if isinstance(document, str) else tuple(document)
        return replace(state.selection(self.layer), document=read, question=question)


def _name(model: Any) -> str:
    return families.model_name(model) or type(model).__name__


def shared_writer(
    name: str,
    *,
    dtype: str | torch.dtype = "auto",
    device: str | torch.device | None = "auto",
    trust_remote_code: bool = False,
) -> InfiniRetri:
    """The writer engine ``name`` loaded with these settings, one per process: the default
    writer's first answer and a writer the adapters name (``writer="..."``) share it, and a
    ranker of that name its weights (3 GB for the default), instead of loading them again.
    A writer never reads, so nothing of it is calibrated; it gets no writer of its own."""
    return _shared_engine(name, dtype, device, trust_remote_code, "writer")


def shared_ranker(
    name: str,
    *,
    dtype: str | torch.dtype = "auto",
    device: str | torch.device | None = "auto",
    trust_remote_code: bool = False,
) -> InfiniRetri:
    """The ranker engine ``name`` (:data:`rerank.RANKER_OPTIONS`), one per process, on the
    weights a writer of that name shares: the default cascade's ranker also writes."""
    return _shared_engine(name, dtype, device, trust_remote_code, "ranker")


_ROLES: Mapping[str, Mapping[str, Any]] = {"writer": WRITER_OPTIONS, "ranker": RANKER_OPTIONS}


@functools.lru_cache(maxsize=8)
def _shared_engine(
    name: str, dtype: str | torch.dtype, device: str | torch.device | None, trust: bool, role: str
) -> InfiniRetri:
    """Keyed by every setting, given or defaulted, so equal loads always meet here."""
    lm, tokenizer, lock = _shared_weights(name, dtype, device, trust)
    config = InfiniRetriConfig().replace(**_ROLES[role])
    return InfiniRetri.from_options(EngineOptions(lm, tokenizer, config, lock=lock))


@functools.lru_cache(maxsize=4)
def _shared_weights(
    name: str, dtype: str | torch.dtype, device: str | torch.device | None, trust: bool
) -> tuple[Any, Any, threading.RLock]:
    """One model's weights and the lock every engine built on them shares."""
    lm, tokenizer = models.load(name, dtype=dtype, device=device, trust_remote_code=trust)
    return lm, tokenizer, threading.RLock()
