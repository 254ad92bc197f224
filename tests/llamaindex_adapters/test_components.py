"""Retriever, postprocessor, LLM and tools on the embedded model."""

from __future__ import annotations

import pytest
from infiniretri_core import InfiniRetri, InputError, haystack
from llama_index.core import SummaryIndex
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.tools.calling import call_tool_with_selection

from infiniretri_integrations.llama_index import (
    InfiniRetriLLM,
    InfiniRetriNodePostprocessor,
    SelfAttentionRetriever,
    long_document_function_tool,
    long_document_query_engine_tool,
)
from infiniretri_integrations.llama_index.llm import UNBOUNDED_CONTEXT

from .conftest import SHORT_FACTS, EventRecorder, assert_evidence, needle_kept


def test_retriever_returns_attended_sentences_sync_and_async(
    engine: InfiniRetri, needle_pages: list, recorder: EventRecorder
) -> None:
    retriever = SelfAttentionRetriever(needle_pages, engine=engine)
    found = retriever.retrieve(haystack.QUESTION)
    assert needle_kept(found)
    assert_evidence(found, needle_pages)
    scores = [n.score for n in found]
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    assert len(recorder.progress) >= 4
    retriever.similarity_top_k = 3
    assert [n.node.text for n in retriever.retrieve(haystack.QUESTION)] == [
        n.node.text for n in found[:3]
    ]


async def test_retriever_async_matches_sync(engine: InfiniRetri) -> None:
    retriever = SelfAttentionRetriever(SHORT_FACTS, engine=engine, similarity_top_k=2)
    sync = retriever.retrieve("What do fishermen catch?")
    got = await retriever.aretrieve("What do fishermen catch?")
    assert [n.node.text for n in got] == [n.node.text for n in sync] and len(got) == 2


def test_retriever_rejects_bad_settings(engine: InfiniRetri) -> None:
    with pytest.raises(InputError):
        SelfAttentionRetriever([], engine=engine)
    with pytest.raises(InputError):
        SelfAttentionRetriever(SHORT_FACTS, engine=engine, similarity_top_k=-1)


async def test_postprocessor_keeps_each_pieces_own_metadata_and_score(
    engine: InfiniRetri, needle_pages: list
) -> None:
    post = InfiniRetriNodePostprocessor(engine=engine)
    nodes = [NodeWithScore(node=p, score=0.5) for p in needle_pages]
    kept = post.postprocess_nodes(nodes, query_str=haystack.QUESTION)
    assert needle_kept(kept)
    assert_evidence(kept, needle_pages)
    assert len({n.node.metadata["page"] for n in kept}) > 1  # pieces from several pages
    assert len({n.score for n in kept}) > 1  # each piece its own score
    assert sum(len(n.node.get_content()) for n in kept) < sum(len(p.text) for p in needle_pages)
    top = InfiniRetriNodePostprocessor(engine=engine, top_n=2)
    best = await top.apostprocess_nodes(nodes, QueryBundle(haystack.QUESTION))
    strongest = sorted(kept, key=lambda n: -(n.score or 0))[:2]
    assert {n.node.text for n in best} == {n.node.text for n in strongest}


def test_postprocessor_in_a_query_engine_and_its_errors(engine: InfiniRetri) -> None:
    post = InfiniRetriNodePostprocessor(engine=engine, top_n=3)
    with pytest.raises(InputError):
        post.postprocess_nodes([NodeWithScore(node=SHORT_FACTS[0])])
    assert post.postprocess_nodes([], query_str="What?") == []
    query_engine = SummaryIndex(SHORT_FACTS).as_query_engine(
        llm=InfiniRetriLLM(engine=engine, max_new_tokens=20), node_postprocessors=[post]
    )
    response = query_engine.query("What is the bakery famous for?")
    assert len(response.source_nodes) == 3


def test_llm_metadata_complete_and_stream(engine: InfiniRetri) -> None:
    llm = InfiniRetriLLM(engine=engine, max_new_tokens=20)
    assert llm.metadata.context_window == UNBOUNDED_CONTEXT and llm.metadata.num_output == 20
    prompt = f"{SHORT_FACTS[0].text}\n\nQuestion: What is the bakery famous for?"
    done = llm.complete(prompt)
    assert "rye" in done.text.lower()
    assert any("rye bread" in e["text"] for e in done.raw["evidence"])  # type: ignore[index]
    chunks = list(llm.stream_complete(prompt))
    assert len(chunks) > 1 and chunks[-1].text == done.text
    with pytest.raises(InputError):
        llm.complete("no document, no question")


def test_query_engine_tool_and_function_tool(engine: InfiniRetri, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tool = long_document_query_engine_tool(SHORT_FACTS, engine=engine, max_new_tokens=20)
    out = tool.call("What is the bakery famous for?")
    assert "rye" in out.content.lower() and out.raw_output.source_nodes
    (tmp_path / "river.txt").write_text(SHORT_FACTS[1].text, encoding="utf-8")
    ftool = long_document_function_tool(engine=engine, root_dir=tmp_path, max_new_tokens=20)
    out = ftool.call(question="What do fishermen catch?", path="river.txt")
    assert "trout" in out.content.lower()
    assert out.raw_output.source_nodes[0].node.metadata == {"source": "river.txt"}
    with pytest.raises(InputError, match="outside"):
        ftool.call(question="What?", path="../outside.txt")
    # as an agent runs it, the error comes back as the tool's output
    call = ToolSelection(
        tool_id="1",
        tool_name=ftool.metadata.name,
        tool_kwargs={"question": "What?", "path": "/etc"},
    )
    refused = call_tool_with_selection(call, [ftool])
    assert refused.is_error and "outside" in refused.content
