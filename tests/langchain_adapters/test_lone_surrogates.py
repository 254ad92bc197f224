"""Every LangChain adapter refuses a lone surrogate with the engine's InputError (the tool
hands it to the agent as an error message), never the tokenizer's TypeError."""

from __future__ import annotations

import asyncio

import pytest
from infiniretri_core import InfiniRetri, InputError
from langchain_core.documents import Document
from langchain_core.messages import ToolMessage

from infiniretri_integrations.langchain import (
    InfiniRetriCompressor,
    InfiniRetriLLM,
    InfiniRetriQA,
    InfiniRetriTool,
    SelfAttentionRetriever,
)

BAD = "The code is 7. \ud800 more."
GOOD = "The code is 7. Nothing more."
WHERE = r"holds a lone surrogate \(U\+D800\) at character"


def test_retriever_and_compressor(engine: InfiniRetri) -> None:
    with pytest.raises(InputError, match="document part 1 " + WHERE):
        SelfAttentionRetriever.from_texts([GOOD, BAD], engine=engine).invoke("What is the code?")
    with pytest.raises(InputError, match="question " + WHERE):
        SelfAttentionRetriever.from_texts([GOOD], engine=engine).invoke("What is \ud800?")
    with pytest.raises(InputError, match="question " + WHERE):
        asyncio.run(SelfAttentionRetriever.from_texts([GOOD], engine=engine).ainvoke("\ud800"))
    compressor = InfiniRetriCompressor(engine=engine)
    with pytest.raises(InputError, match="document part 0 " + WHERE):
        compressor.compress_documents([Document(page_content=BAD)], "What is the code?")


def test_llm_and_qa_chain(engine: InfiniRetri) -> None:
    llm = InfiniRetriLLM(engine=engine, max_new_tokens=4)
    with pytest.raises(InputError, match="document " + WHERE):
        llm.invoke(f"{BAD}\n\nQuestion: What is the code?")
    with pytest.raises(InputError, match="question " + WHERE):
        list(llm.stream(f"{GOOD}\n\nQuestion: What is \ud800?"))
    qa = InfiniRetriQA(engine=engine, max_new_tokens=4)
    with pytest.raises(InputError, match="document part 0 " + WHERE):
        qa.invoke({"question": "What is the code?", "context": BAD})
    with pytest.raises(InputError, match="question " + WHERE):
        list(qa.stream({"question": "\ud800", "context": [Document(page_content=GOOD)]}))


def test_tool_gives_the_agent_the_error(engine: InfiniRetri) -> None:
    tool = InfiniRetriTool(engine=engine, max_new_tokens=4)
    for args in ({"question": "What?", "text": BAD}, {"question": "\ud800", "text": GOOD}):
        call = {"type": "tool_call", "id": "call-1", "name": tool.name, "args": args}
        msg = tool.invoke(call)
        assert isinstance(msg, ToolMessage) and msg.status == "error"
        assert "holds a lone surrogate (U+D800)" in str(msg.content)
