"""Read with the engine, write with the engine or with any LangChain model: sync, async, streamed.

Shared by the QA runnable and the tool so that both split reading from writing the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from infiniretri_core import Evidence, InfiniRetri, ProgressCallback, Selection
from langchain_core.language_models import BaseLanguageModel
from langchain_core.runnables import RunnableConfig

from .._engine import tailored
from .._threads import aiterate, to_thread
from ._writer import astream_write, awrite, stream_write, write

Writer = BaseLanguageModel[Any] | None


class WriterFields(Protocol):
    """The fields an adapter that answers has (the QA runnable, the tool)."""

    engine: InfiniRetri
    writer: BaseLanguageModel[Any] | str | None
    answer_max_tokens: int | None
    writer_order: Literal["document", "score"] | None
    max_new_tokens: int | None


@dataclass(frozen=True)
class Job:
    """One question over one document: the local model reads, ``writer`` (or the engine's
    own writer) answers from the evidence within the engine's budget, in its order."""

    engine: InfiniRetri
    writer: Writer
    parts: Sequence[str]
    question: str
    progress: ProgressCallback | None
    config: RunnableConfig
    max_new_tokens: int | None = None

    def _select(self) -> tuple[Selection, str]:
        """The selection, and the prompt of the evidence in the writer's budget and order."""
        selection, budget = self.engine.select_for_writer(self.parts, self.question, self.progress)
        return selection, self.engine.answer_prompt(budget, self.question)

    def answer(self) -> tuple[str, list[Evidence]]:
        if self.writer is None:
            result = self.engine.answer(
                self.parts, self.question, self.progress, self.max_new_tokens
            )
            return result.text, result.evidence
        selection, prompt = self._select()
        return write(self.writer, prompt, self.config), selection.evidence

    async def aanswer(self) -> tuple[str, list[Evidence]]:
        if self.writer is None:
            return await to_thread(self.answer)
        selection, prompt = await to_thread(self._select)
        text = await awrite(self.writer, prompt, self.config)
        return text, selection.evidence

    def stream(self) -> Iterator[str | list[Evidence]]:
        """Answer text pieces as they are written, then the evidence (a list) as the last item."""
        if self.writer is None:
            pieces = self.engine.stream_answer(
                self.parts, self.question, self.progress, self.max_new_tokens
            )
            yield from pieces
            assert pieces.answer is not None
            yield pieces.answer.evidence
            return
        selection, prompt = self._select()
        yield from stream_write(self.writer, prompt, self.config)
        yield selection.evidence

    async def astream(self) -> AsyncIterator[str | list[Evidence]]:
        if self.writer is None:
            async for item in aiterate(self.stream):
                yield item
            return
        selection, prompt = await to_thread(self._select)
        async for text in astream_write(self.writer, prompt, self.config):
            yield text
        yield selection.evidence


def job_for(
    owner: WriterFields,
    parts: Sequence[str],
    question: str,
    progress: ProgressCallback | None,
    config: RunnableConfig,
) -> Job:
    """The job of an adapter: its engine with the writer's budget, order and (a name) local
    writer applied, and its LangChain writer if it has one."""
    local = owner.writer if isinstance(owner.writer, str) else None
    engine = tailored(
        owner.engine,
        local,
        answer_max_tokens=owner.answer_max_tokens,
        writer_order=owner.writer_order,
    )
    external = None if isinstance(owner.writer, str) else owner.writer
    return Job(engine, external, parts, question, progress, config, owner.max_new_tokens)
