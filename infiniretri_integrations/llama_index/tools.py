"""Agent tools: "answer questions about this long document", for LlamaIndex agents."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from infiniretri_core import InfiniRetri, InputError
from llama_index.core import SummaryIndex
from llama_index.core.base.response.schema import RESPONSE_TYPE
from llama_index.core.llms import LLM
from llama_index.core.schema import BaseNode, Document, NodeWithScore
from llama_index.core.tools import FunctionTool, QueryEngineTool

from .._files import read_inside
from .llm import InfiniRetriLLM
from .synthesizer import InfiniRetriSynthesizer

DESCRIPTION = (
    "Answer a question about {what}, reading the whole of it however long it is. "
    "Input: the question."
)


def long_document_query_engine_tool(
    nodes: Sequence[BaseNode],
    *,
    engine: InfiniRetri | None = None,
    writer: LLM | str | None = None,
    name: str = "long_document_qa",
    description: str | None = None,
    max_new_tokens: int | None = None,
    answer_max_tokens: int | None = None,
    writer_order: Literal["document", "score"] | None = None,
) -> QueryEngineTool:
    """A ``QueryEngineTool`` over ``nodes`` (Documents or nodes): a ``SummaryIndex`` whose
    query engine hands every node to :class:`InfiniRetriSynthesizer`. No embedding model, no
    node parsing; the response's ``source_nodes`` are the evidence sentences. ``writer``,
    ``answer_max_tokens`` and ``writer_order`` are the synthesizer's."""
    synthesizer = InfiniRetriSynthesizer(
        engine,
        writer=writer,
        max_new_tokens=max_new_tokens,
        answer_max_tokens=answer_max_tokens,
        writer_order=writer_order,
    )
    llm = writer if isinstance(writer, LLM) else None
    query_engine = SummaryIndex(nodes=list(nodes)).as_query_engine(
        response_synthesizer=synthesizer,
        llm=llm or InfiniRetriLLM(engine=synthesizer.engine, max_new_tokens=max_new_tokens),
    )
    return QueryEngineTool.from_defaults(
        query_engine, name=name, description=description or DESCRIPTION.format(what="the document")
    )


def long_document_function_tool(
    *,
    engine: InfiniRetri | None = None,
    writer: LLM | str | None = None,
    root_dir: str | Path | None = None,
    name: str = "long_document_file_qa",
    description: str | None = None,
    max_new_tokens: int | None = None,
    answer_max_tokens: int | None = None,
    writer_order: Literal["document", "score"] | None = None,
) -> FunctionTool:
    """A ``FunctionTool(question, path | text)``: the agent names a file inside ``root_dir``
    (default: the working directory) or passes a text. The tool output's ``raw_output`` is
    the LlamaIndex ``Response`` with the evidence as ``source_nodes``. ``writer``,
    ``answer_max_tokens`` and ``writer_order`` are the synthesizer's."""
    root = Path(root_dir or Path.cwd()).resolve()
    synthesizer = InfiniRetriSynthesizer(
        engine,
        writer=writer,
        max_new_tokens=max_new_tokens,
        answer_max_tokens=answer_max_tokens,
        writer_order=writer_order,
    )

    def nodes_for(path: str | None, text: str | None) -> list[NodeWithScore]:
        if (path is None) == (text is None):
            raise InputError("give either a path to a text file or the text, not both")
        if path is not None:
            doc = Document(text=read_inside(root, path), metadata={"source": path})
        else:
            doc = Document(text=text or "")
        return [NodeWithScore(node=doc)]

    def answer_question(
        question: str, path: str | None = None, text: str | None = None
    ) -> RESPONSE_TYPE:
        """Answer the question from the document at ``path`` or from ``text``."""
        return synthesizer.synthesize(question, nodes_for(path, text))

    async def aanswer_question(
        question: str, path: str | None = None, text: str | None = None
    ) -> RESPONSE_TYPE:
        """Answer the question from the document at ``path`` or from ``text``."""
        return await synthesizer.asynthesize(question, nodes_for(path, text))

    return FunctionTool.from_defaults(
        fn=answer_question,
        async_fn=aanswer_question,
        name=name,
        description=description
        or DESCRIPTION.format(what="a long text file (path) or text").replace(
            "Input: the question.", "Input: the question, and a file path or the text."
        ),
    )
