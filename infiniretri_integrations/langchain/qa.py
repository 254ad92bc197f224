"""``InfiniRetriQA``: question + long context in, answer (and evidence) out, as a Runnable."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Literal

from infiniretri_core import Evidence, InfiniRetri, InputError
from langchain_core.callbacks import (
    AsyncCallbackManagerForChainRun,
    CallbackManagerForChainRun,
)
from langchain_core.documents import Document
from langchain_core.language_models import BaseLanguageModel
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from langchain_core.runnables.config import patch_config
from langchain_core.runnables.utils import AddableDict
from pydantic import ConfigDict, Field
from typing_extensions import TypedDict  # pydantic needs it for schemas on Python < 3.12

from .._engine import shared_engine
from ._answering import Job, job_for
from ._documents import as_sources, evidence_documents
from ._events import async_progress_reporter, progress_reporter


class QAInput(TypedDict):
    question: str
    context: str | Document | list[Document]


class QAOutput(TypedDict):
    answer: str
    evidence: list[Document]


class InfiniRetriQA(RunnableSerializable[QAInput, Any]):
    """Answer ``{"question", "context"}`` over a context of any length by InfiniRetri.

    The local model reads ``context`` (a str, a Document or a list of Documents, read as one
    text) chunk by chunk and keeps the sentences its attention selects; ``writer`` (any LangChain
    LLM or chat model; default: the local model) answers from them. Returns the answer as a
    str, or ``{"answer", "evidence"}`` with ``return_evidence=True``, the evidence being one
    Document per kept sentence with its source's metadata and character span.

    ``stream``/``astream`` yield answer tokens as they are written. After every chunk read, a
    custom event ``"infiniretri_progress"`` is sent to the callbacks (see ``astream_events``).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: InfiniRetri = Field(default_factory=shared_engine, exclude=True)
    """The reader (default: the embedded model, shared in the process)."""
    writer: BaseLanguageModel | str | None = None
    """Writes the answer: a LangChain LLM or chat model, a local model by name or path (e.g.
    ``"qwen2.5-coder-1.5b"``, loaded once per process), or ``None``: the engine's writer."""
    answer_max_tokens: int | None = None
    """The writer's evidence budget in tokens (default: the engine's ``answer_max_tokens``)."""
    writer_order: Literal["document", "score"] | None = None
    """The writer's evidence order (default: the engine's ``writer_order``)."""
    return_evidence: bool = False
    max_new_tokens: int | None = None
    """Answer length for the local writer (default: the engine's ``max_new_tokens``)."""

    @property
    def InputType(self) -> type[QAInput]:
        return QAInput

    @property
    def OutputType(self) -> Any:
        return QAOutput if self.return_evidence else str

    # -- invoke ---------------------------------------------------------------------

    def invoke(self, input: QAInput, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return self._call_with_config(self._invoke, input, config, run_type="chain", **kwargs)

    async def ainvoke(
        self, input: QAInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Any:
        return await self._acall_with_config(
            self._ainvoke, input, config, run_type="chain", **kwargs
        )

    def _invoke(
        self, input: QAInput, run_manager: CallbackManagerForChainRun, config: RunnableConfig
    ) -> Any:
        child = run_manager.get_child()
        job, sources = self._job(input, progress_reporter(child), config, child)
        text, evidence = job.answer()
        return self._output(text, evidence, sources)

    async def _ainvoke(
        self,
        input: QAInput,
        run_manager: AsyncCallbackManagerForChainRun,
        config: RunnableConfig,
    ) -> Any:
        child = run_manager.get_child()
        job, sources = self._job(input, async_progress_reporter(child), config, child)
        text, evidence = await job.aanswer()
        return self._output(text, evidence, sources)

    # -- streaming --------------------------------------------------------------------

    def stream(
        self, input: QAInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Any]:
        yield from self.transform(iter([input]), config, **kwargs)

    def transform(
        self, input: Iterator[QAInput], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Any]:
        yield from self._transform_stream_with_config(
            input, self._transform, config, run_type="chain", **kwargs
        )

    async def astream(
        self, input: QAInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        async def one() -> AsyncIterator[QAInput]:
            yield input

        async for chunk in self.atransform(one(), config, **kwargs):
            yield chunk

    async def atransform(
        self,
        input: AsyncIterator[QAInput],
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        async for chunk in self._atransform_stream_with_config(
            input, self._atransform, config, run_type="chain", **kwargs
        ):
            yield chunk

    def _transform(
        self,
        inputs: Iterator[QAInput],
        run_manager: CallbackManagerForChainRun,
        config: RunnableConfig,
    ) -> Iterator[Any]:
        merged = _merge(inputs)
        child = run_manager.get_child()
        job, sources = self._job(merged, progress_reporter(child), config, child)
        for item in job.stream():
            yield from self._chunks(item, sources)

    async def _atransform(
        self,
        inputs: AsyncIterator[QAInput],
        run_manager: AsyncCallbackManagerForChainRun,
        config: RunnableConfig,
    ) -> AsyncIterator[Any]:
        merged = _merge([chunk async for chunk in inputs])
        child = run_manager.get_child()
        job, sources = self._job(merged, async_progress_reporter(child), config, child)
        async for item in job.astream():
            for chunk in self._chunks(item, sources):
                yield chunk

    # -- helpers ----------------------------------------------------------------------

    def _job(
        self, input: object, progress: Any, config: RunnableConfig, child: Any
    ) -> tuple[Job, list[Document]]:
        if not isinstance(input, Mapping) or "question" not in input or "context" not in input:
            raise InputError(
                "InfiniRetriQA takes {'question': str, 'context': str | list[Document]}, "
                f"got {_describe(input)}"
            )
        sources = as_sources(input["context"])
        parts = [doc.page_content for doc in sources]
        config = patch_config(config, callbacks=child)
        return job_for(self, parts, input["question"], progress, config), sources

    def _output(self, text: str, evidence: list[Evidence], sources: list[Document]) -> Any:
        if not self.return_evidence:
            return text
        return {"answer": text, "evidence": evidence_documents(evidence, sources)}

    def _chunks(self, item: str | list[Evidence], sources: list[Document]) -> Iterator[Any]:
        if isinstance(item, list):
            if self.return_evidence:
                yield AddableDict(evidence=evidence_documents(item, sources))
        elif self.return_evidence:
            yield AddableDict(answer=item)
        else:
            yield item


def _merge(chunks: Any) -> Any:
    """An input streamed in pieces (as ``RunnableParallel`` emits it), put back together."""
    merged: Any = None
    for chunk in chunks:
        if merged is None:
            merged = chunk
        elif isinstance(merged, Mapping) and isinstance(chunk, Mapping):
            merged = AddableDict(merged) + AddableDict(chunk)
        else:
            merged = chunk
    return merged


def _describe(value: object) -> str:
    if isinstance(value, Mapping):
        return f"a mapping with keys {sorted(map(str, value))}"
    return type(value).__name__
