"""Every LlamaIndex adapter refuses a lone surrogate with the engine's InputError (a tool
run by an agent hands it back as an error output), never the tokenizer's TypeError."""

from __future__ import annotations

import pytest
from infiniretri_core import InfiniRetri, InputError
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools.calling import call_tool_with_selection

from infiniretri_integrations.llama_index import (
    InfiniRetriLLM,
    InfiniRetriNodePostprocessor,
    InfiniRetriSynthesizer,
    SelfAttentionRetriever,
    long_document_function_tool,
)

BAD = "The code is 7. \ud800 more."
GOOD = "The code is 7. Nothing more."
WHERE = r"holds a lone surrogate \(U\+D800\) at character"


def _nodes(*texts: str) -> list[NodeWithScore]:
    return [NodeWithScore(node=TextNode(text=t)) for t in texts]


def test_retriever_and_postprocessor(engine: InfiniRetri) -> None:
    with pytest.raises(InputError, match="document part 1 " + WHERE):
        SelfAttentionRetriever([n.node for n in _nodes(GOOD, BAD)], engine=engine).retrieve("Q?")
    with pytest.raises(InputError, match="question " + WHERE):
        SelfAttentionRetriever([TextNode(text=GOOD)], engine=engine).retrieve("\ud800")
    post = InfiniRetriNodePostprocessor(engine=engine)
    with pytest.raises(InputError, match="document part 0 " + WHERE):
        post.postprocess_nodes(_nodes(BAD), QueryBundle("What is the code?"))


def test_synthesizer_and_llm(engine: InfiniRetri) -> None:
    with pytest.raises(InputError, match="document part 0 " + WHERE):
        InfiniRetriSynthesizer(engine, max_new_tokens=4).synthesize("What?", _nodes(BAD))
    streaming = InfiniRetriSynthesizer(engine, streaming=True, max_new_tokens=4)
    with pytest.raises(InputError, match="question " + WHERE):
        list(streaming.synthesize("\ud800", _nodes(GOOD)).response_gen)  # type: ignore[union-attr]
    llm = InfiniRetriLLM(engine=engine, max_new_tokens=4)
    with pytest.raises(InputError, match="document " + WHERE):
        llm.complete(f"{BAD}\n\nQuestion: What is the code?")
    with pytest.raises(InputError, match="question " + WHERE):
        list(llm.stream_complete(f"{GOOD}\n\nQuestion: What is \ud800?"))


def test_function_tool_gives_the_agent_the_error(engine: InfiniRetri) -> None:
    tool = long_document_function_tool(engine=engine, max_new_tokens=4)
    with pytest.raises(InputError, match="document part 0 " + WHERE):
        tool.call(question="What is the code?", text=BAD)
    call = ToolSelection(
        tool_id="1", tool_name=tool.metadata.name, tool_kwargs={"question": "\ud800", "text": GOOD}
    )
    out = call_tool_with_selection(call, [tool])
    assert out.is_error and "question holds a lone surrogate (U+D800)" in out.content
