"""Read with the engine, write with the engine or with any LangChain model: sync, async, streamed.

Shared by the QA runnable and the tool so that both split reading from writing the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from infiniretri_core import Evidence, InfiniRetri, ProgressCallback, Selection
from langchain_core.language_models import BaseLanguageModel
from langchain_core.runnables import RunnableConfig

from .._threads import aiterate, to_thread
from ._writer import astream_write, awrite, stream_write, write

Writer = BaseLanguageModel[Any] | None


@dataclass(frozen=True)
class Job:
    """One question over one document: the local model reads, ``writer`` (or it) answers."""

    engine: InfiniRetri
    writer: Writer
    parts: Sequence[str]
    question: str
    progress: ProgressCallback | None
    config: RunnableConfig
    max_new_tokens: int | None = None

    def _select(self) -> Selection:
        return self.engine.select(self.parts, self.question, self.progress)

    def _prompt(self, selection: Selection) -> str:
        return self.engine.answer_prompt(selection, self.question)

    def answer(self) -> tuple[str, list[Evidence]]:
        if self.writer is None:
            result = self.engine.answer(
                self.parts, self.question, self.progress, self.max_new_tokens
            )
            return result.text, result.evidence
        selection = self._select()
        return write(self.writer, self._prompt(selection), self.config), selection.evidence

    async def aanswer(self) -> tuple[str, list[Evidence]]:
        if self.writer is None:
            return await to_thread(self.answer)
        selection = await to_thread(self._select)
        text = await awrite(self.writer, self._prompt(selection), self.config)
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
        selection = self._select()
        yield from stream_write(self.writer, self._prompt(selection), self.config)
        yield selection.evidence

    async def astream(self) -> AsyncIterator[str | list[Evidence]]:
        if self.writer is None:
            async for item in aiterate(self.stream):
                yield item
            return
        selection = await to_thread(self._select)
        async for text in astream_write(self.writer, self._prompt(selection), self.config):
            yield text
        yield selection.evidence
