"""The writer: any LangChain language model answering from the reader's kept sentences."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.language_models import BaseLanguageModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig


def text_of(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, BaseMessage):
        return output.text
    return str(output)


def write(writer: BaseLanguageModel[Any], prompt: str, config: RunnableConfig) -> str:
    return text_of(writer.invoke(prompt, config)).strip()


async def awrite(writer: BaseLanguageModel[Any], prompt: str, config: RunnableConfig) -> str:
    return text_of(await writer.ainvoke(prompt, config)).strip()


def stream_write(
    writer: BaseLanguageModel[Any], prompt: str, config: RunnableConfig
) -> Iterator[str]:
    for chunk in writer.stream(prompt, config):
        if text := text_of(chunk):
            yield text


async def astream_write(
    writer: BaseLanguageModel[Any], prompt: str, config: RunnableConfig
) -> AsyncIterator[str]:
    async for chunk in writer.astream(prompt, config):
        if text := text_of(chunk):
            yield text
