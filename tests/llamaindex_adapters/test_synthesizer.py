"""InfiniRetriSynthesizer in real query engines, with no embedding model and no OpenAI key."""

from __future__ import annotations

import pytest
from infiniretri_core import InfiniRetri, haystack
from llama_index.core import Settings, SummaryIndex
from llama_index.core.base.response.schema import AsyncStreamingResponse, StreamingResponse
from llama_index.core.llms.mock import MockLLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeRelationship

from infiniretri_integrations.llama_index import InfiniRetriLLM, InfiniRetriSynthesizer
from infiniretri_integrations.llama_index._nodes import node_texts

from .conftest import SHORT_FACTS, EventRecorder, assert_evidence, needle_kept, pages


@pytest.mark.slow
def test_summary_index_query_engine_answers_a_needle_over_16k_tokens(
    default_engine: InfiniRetri, recorder: EventRecorder
) -> None:
    """With the defaults (no engine given): the default writer answers."""
    nodes = pages(haystack.build(default_engine.tokenizer, 16_500, 0.3), "essays.txt")
    assert len(nodes) >= 8
    synthesizer = InfiniRetriSynthesizer(max_new_tokens=32)
    assert synthesizer.engine is default_engine
    query_engine = SummaryIndex(nodes).as_query_engine(
        response_synthesizer=synthesizer, llm=InfiniRetriLLM()
    )
    response = query_engine.query(haystack.QUESTION)
    assert haystack.answers_needle(str(response)), str(response)
    assert default_engine.options().writer.loaded  # the default writer wrote it
    assert needle_kept(response.source_nodes)
    assert_evidence(response.source_nodes, nodes)
    for n in response.source_nodes:
        assert n.node.relationships[NodeRelationship.SOURCE].node_id in {d.node_id for d in nodes}
    progress = recorder.progress
    assert [p.chunk for p in progress] == list(range(1, len(progress) + 1)) and len(progress) >= 16
    assert progress[-1].tokens_read == progress[-1].tokens_total > 16_000
    assert progress[0].span_id  # emitted inside the synthesizer's span


def test_streaming_in_a_retriever_query_engine(
    engine: InfiniRetri, needle_pages: list, recorder: EventRecorder
) -> None:
    synthesizer = InfiniRetriSynthesizer(engine, streaming=True, max_new_tokens=32)
    retriever = SummaryIndex(needle_pages).as_retriever()
    response = RetrieverQueryEngine(retriever, response_synthesizer=synthesizer).query(
        haystack.QUESTION
    )
    assert isinstance(response, StreamingResponse)
    tokens = list(response.response_gen)
    assert len(tokens) > 1
    assert haystack.word_recall("".join(tokens)) >= 0.8, "".join(tokens)
    assert needle_kept(response.source_nodes)
    assert_evidence(response.source_nodes, needle_pages)
    assert len(recorder.progress) >= 4


async def test_async_query_and_async_streaming(engine: InfiniRetri) -> None:
    index = SummaryIndex(SHORT_FACTS)
    plain = index.as_query_engine(
        response_synthesizer=InfiniRetriSynthesizer(engine, max_new_tokens=20),
        llm=InfiniRetriLLM(engine=engine),
    )
    question = "What is the bakery famous for?"
    sync_answer = str(plain.query(question))
    assert str(await plain.aquery(question)) == sync_answer
    streaming = RetrieverQueryEngine(
        index.as_retriever(),
        response_synthesizer=InfiniRetriSynthesizer(engine, streaming=True, max_new_tokens=20),
    )
    response = await streaming.aquery(question)
    assert isinstance(response, AsyncStreamingResponse)
    streamed = "".join([t async for t in response.async_response_gen()])
    assert streamed.strip() == sync_answer and "rye" in sync_answer.lower()
    assert response.source_nodes


def test_a_separate_writer_gets_the_kept_sentences(engine: InfiniRetri) -> None:
    # MockLLM echoes its prompt: it shows what the reader handed to the writer.
    synthesizer = InfiniRetriSynthesizer(engine, writer=MockLLM())
    response = synthesizer.synthesize(
        "Where do fishermen catch trout?", [_scored(n) for n in SHORT_FACTS]
    )
    assert "catch trout" in str(response) and "Where do fishermen catch trout?" in str(response)
    assert_evidence(response.source_nodes, SHORT_FACTS)


def test_the_prompt_template_is_exposed_and_updatable(engine: InfiniRetri) -> None:
    synthesizer = InfiniRetriSynthesizer(engine, writer=MockLLM())
    template = synthesizer.get_prompts()["text_qa_template"]
    assert set(template.template_vars) == {"context_str", "query_str"}
    synthesizer.update_prompts(
        {"text_qa_template": PromptTemplate("Facts: {context_str}\nQ: {query_str}\nA:")}
    )
    out = str(synthesizer.synthesize("What is the bakery famous for?", [_scored(SHORT_FACTS[0])]))
    assert out.startswith("Facts: ") and "\nQ: What is the bakery famous for?\nA:" in out


def test_no_nodes_gives_the_empty_response(engine: InfiniRetri) -> None:
    assert str(InfiniRetriSynthesizer(engine).synthesize("What?", [])) == "Empty Response"


def test_no_openai_key_or_embedding_model_is_touched(engine: InfiniRetri) -> None:
    # Settings.llm / embed_model resolve to OpenAI on first access; nothing here may access them
    assert Settings._llm is None and Settings._embed_model is None
    InfiniRetriSynthesizer(engine)
    assert Settings._llm is None and Settings._embed_model is None


def _scored(node):  # type: ignore[no-untyped-def]
    from llama_index.core.schema import NodeWithScore

    return NodeWithScore(node=node)


def test_an_external_writer_gets_the_budget_in_its_order(engine: InfiniRetri) -> None:
    # MockLLM echoes its prompt: the evidence within the budget, the best sentence last.
    synthesizer = InfiniRetriSynthesizer(
        engine, writer=MockLLM(), answer_max_tokens=20, writer_order="score"
    )
    question = "Where do fishermen catch trout?"
    response = synthesizer.synthesize(question, [_scored(n) for n in SHORT_FACTS])
    budgeted = synthesizer.engine
    assert budgeted.config.answer_max_tokens == 20 and budgeted.config.writer_order == "score"
    selection, budget = budgeted.select_for_writer(node_texts(SHORT_FACTS), question)
    assert str(response) == budgeted.answer_prompt(budget, question).strip()
    assert 0 < len(budget) < len(selection.evidence)
    assert [e.score for e in budget] == sorted(e.score for e in budget)
    assert_evidence(response.source_nodes, SHORT_FACTS)
