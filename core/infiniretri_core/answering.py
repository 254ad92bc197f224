"""Answering: a writer turns what a read kept into an answer (the engine's second job).

:class:`Answering` is the engine's answering half, apart from reading: it asks the engine for
read states (``_read``) and selections (``_selection``), budgets their evidence for the writer
and decodes, streamed or not. The writer is this engine's model, another engine's, or one
pending until the first answer (:class:`local_writer.PendingWriter`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import torch

from .cancel import CancelToken, check, poll, resolve
from .config import InfiniRetriConfig
from .document import DocumentInput, check_questions, check_text
from .engine_options import EngineOptions
from .local_writer import LocalWriter, PendingWriter
from .reading import ProgressCallback, ReadState
from .stream import AnswerStream, pieces
from .types import Answer, Evidence, Selection, join_evidence
from .writer import clean, writer_sentences


class Answering:
    """What an engine answers with; the engine supplies the reading (``_read``, ``_selection``)."""

    config: InfiniRetriConfig
    model: Any
    tokenizer: Any
    lock: threading.RLock
    _options: EngineOptions

    def _read(
        self,
        document: DocumentInput,
        questions: list[str],
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> list[ReadState]:
        raise NotImplementedError

    def _selection(self, state: ReadState, document: DocumentInput, question: str) -> Selection:
        raise NotImplementedError

    @property
    def writer(self) -> Answering | None:
        """The engine whose model writes the answers (a pending one is loaded now); ``None``:
        this engine's model writes."""
        writer = self._options.writer
        return writer.get() if isinstance(writer, PendingWriter) else writer

    @functools.cached_property
    def _writing(self) -> LocalWriter:
        host = self.writer or self
        return LocalWriter.of(host.model, host.tokenizer, host.lock, self.config.repeat_guard)

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
