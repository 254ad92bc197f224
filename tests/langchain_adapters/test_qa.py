"""InfiniRetriQA in real chains: composition, streaming, progress events, async, writers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from infiniretri_core import InfiniRetri, InputError, haystack
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import ParrotFakeChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from infiniretri_integrations._engine import tailored
from infiniretri_integrations.langchain import PROGRESS_EVENT, InfiniRetriQA

from .conftest import SHORT_FACTS, PagedTextLoader, Recorder, assert_spans, needle_kept


@pytest.mark.slow
def test_chain_answers_a_needle_question_over_16k_tokens(
    default_engine: InfiniRetri, tmp_path: Path
) -> None:
    """With the defaults (no engine given): the default writer answers."""
    path = tmp_path / "essays-16k.txt"
    path.write_text(haystack.build(default_engine.tokenizer, 16_500, 0.6), encoding="utf-8")
    loader = PagedTextLoader(path)
    qa = InfiniRetriQA(max_new_tokens=32)
    assert qa.engine is default_engine
    chain = (
        {"context": RunnableLambda(lambda _: loader.load()), "question": RunnablePassthrough()}
        | qa
        | StrOutputParser()
    )
    recorder = Recorder()
    answer = chain.invoke(haystack.QUESTION, {"callbacks": [recorder], "tags": ["needle"]})
    assert isinstance(answer, str)
    assert haystack.answers_needle(answer), answer
    assert default_engine.options().writer.loaded  # the default writer wrote it
    # one progress event per chunk, in order, attached to the QA run, whole document read
    chunks = [p["chunk"] for p in recorder.progress]
    assert len(chunks) >= 16 and chunks == list(range(1, len(chunks) + 1))
    assert recorder.progress[-1]["tokens_read"] == recorder.progress[-1]["tokens_total"] > 16_000
    assert len(recorder.progress_parents) == 1
    assert recorder.progress_parents <= set(recorder.chain_runs)


def test_stream_yields_answer_tokens_and_evidence_last(
    engine: InfiniRetri, needle_file: Path
) -> None:
    pages = PagedTextLoader(needle_file, page_chars=3000).load()
    qa = InfiniRetriQA(engine=engine, return_evidence=True, max_new_tokens=32)
    chunks = list(qa.stream({"question": haystack.QUESTION, "context": pages}))
    answers = [c["answer"] for c in chunks if "answer" in c]
    assert len(answers) > 1, "the answer should stream in several pieces"
    assert "evidence" in chunks[-1] and all("evidence" not in c for c in chunks[:-1])
    assert haystack.word_recall("".join(answers)) >= 0.8, "".join(answers)
    evidence = chunks[-1]["evidence"]
    assert needle_kept(evidence)
    assert_spans(evidence, pages)
    assert len({d.metadata["page"] for d in evidence}) > 1  # sentences from several pages


async def test_astream_events_report_progress_and_tokens(engine: InfiniRetri) -> None:
    text, question = SHORT_FACTS[0]
    qa = InfiniRetriQA(engine=engine, max_new_tokens=16)
    names, streamed = [], []
    async for event in qa.astream_events({"question": question, "context": text}, version="v2"):
        if event["event"] == "on_custom_event":
            names.append(event["name"])
        elif event["event"] == "on_chain_stream":
            streamed.append(event["data"]["chunk"])
    assert names == [PROGRESS_EVENT]  # one chunk read
    assert len(streamed) > 1 and "rye" in "".join(streamed).lower()


async def test_concurrent_ainvoke_matches_sequential_invoke(engine: InfiniRetri) -> None:
    qa = InfiniRetriQA(engine=engine, max_new_tokens=20)
    inputs = [{"question": q, "context": t} for t, q in SHORT_FACTS]
    sequential = [qa.invoke(i) for i in inputs]
    concurrent = await asyncio.gather(*(qa.ainvoke(i) for i in inputs))
    assert list(concurrent) == sequential
    assert await qa.abatch(inputs) == sequential
    assert qa.batch(inputs, {"max_concurrency": 3}) == sequential
    assert "rye" in sequential[0].lower() and "trout" in sequential[1].lower()


def test_a_separate_writer_answers_from_the_kept_sentences(
    engine: InfiniRetri, needle_file: Path
) -> None:
    # The parrot writer answers with its prompt: what the reader handed it.
    qa = InfiniRetriQA(engine=engine, writer=ParrotFakeChatModel(), return_evidence=True)
    recorder = Recorder()
    document = needle_file.read_text(encoding="utf-8")
    out = qa.invoke({"question": haystack.QUESTION, "context": document}, {"callbacks": [recorder]})
    assert haystack.NEEDLE in out["answer"] and haystack.QUESTION in out["answer"]
    assert len(out["answer"]) < len(document) / 3  # the kept sentences, not the document
    assert needle_kept(out["evidence"])
    # the writer ran as a child of the QA run, through LangChain callbacks
    [(parent, prompt)] = recorder.chat_prompts
    assert parent in recorder.chain_runs and haystack.NEEDLE in prompt


def test_a_document_and_a_list_of_documents_give_the_same_answer(engine: InfiniRetri) -> None:
    text, question = SHORT_FACTS[2]
    qa = InfiniRetriQA(engine=engine, max_new_tokens=20)
    assert qa.invoke({"question": question, "context": text}) == qa.invoke(
        {"question": question, "context": [Document(page_content=text)]}
    )


@pytest.mark.parametrize(
    "bad",
    [
        "a bare string",
        {"question": "What?"},
        {"question": "What?", "context": 42},
        {"question": "What?", "context": [Document(page_content="Fine."), 3]},
        {"question": "", "context": "Some text."},
        {"question": "What?", "context": "   "},
    ],
)
def test_bad_input_is_a_clear_error(engine: InfiniRetri, bad: object) -> None:
    with pytest.raises(InputError):
        InfiniRetriQA(engine=engine).invoke(bad)  # type: ignore[arg-type]


def _properties(schema: dict) -> set[str]:  # type: ignore[type-arg]
    name = schema["$ref"].rsplit("/", 1)[-1]
    return set(schema["$defs"][name]["properties"])


def test_schemas_describe_the_input_and_output(engine: InfiniRetri) -> None:
    qa = InfiniRetriQA(engine=engine)
    assert _properties(qa.get_input_jsonschema()) == {"question", "context"}
    assert qa.get_output_jsonschema()["type"] == "string"
    with_evidence = InfiniRetriQA(engine=engine, return_evidence=True)
    assert _properties(with_evidence.get_output_jsonschema()) == {"answer", "evidence"}


async def test_an_abandoned_async_stream_frees_the_model(
    engine: InfiniRetri, long_answer: tuple[str, str]
) -> None:
    text, question = long_answer
    qa = InfiniRetriQA(engine=engine, max_new_tokens=300)
    stream = qa.astream({"question": question, "context": text})
    assert await stream.__anext__()
    await stream.aclose()  # what a cancelled consumer does

    def model_free() -> bool:
        if not engine.lock.acquire(timeout=10):
            return False
        engine.lock.release()
        return True

    assert await asyncio.to_thread(model_free), "the generation went on after the consumer left"


def test_an_external_writer_gets_the_budget_in_its_order(
    engine: InfiniRetri, needle_file: Path
) -> None:
    # The parrot writer answers with its prompt: the evidence within the budget, best last.
    qa = InfiniRetriQA(
        engine=engine, writer=ParrotFakeChatModel(), answer_max_tokens=48, writer_order="score"
    )
    document = needle_file.read_text(encoding="utf-8")
    prompt = qa.invoke({"question": haystack.QUESTION, "context": document})
    budgeted = InfiniRetri.from_options(
        engine.options().replace(answer_max_tokens=48, writer_order="score")
    )
    selection, budget = budgeted.select_for_writer([document], haystack.QUESTION)
    assert prompt == budgeted.answer_prompt(budget, haystack.QUESTION).strip()
    assert len(budget) < len(selection.evidence)
    assert sum(len(engine.tokenizer.encode(e.text)) for e in budget) <= 48 + len(budget)
    assert [e.score for e in budget] == sorted(e.score for e in budget)
    assert selection.context not in prompt


def test_a_local_writer_by_name_writes_the_answer(engine: InfiniRetri) -> None:
    text, question = SHORT_FACTS[0]
    qa = InfiniRetriQA(engine=engine, writer="SmolLM2-135M-Instruct", max_new_tokens=20)
    answer = qa.invoke({"question": question, "context": text})
    assert "rye" in answer.lower()
    job_engine = tailored(engine, "SmolLM2-135M-Instruct")  # the one the QA made
    assert job_engine.writer is not None and job_engine.writer.model is not engine.model
