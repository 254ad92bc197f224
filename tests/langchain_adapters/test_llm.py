"""InfiniRetriLLM: a plain LangChain LLM over the engine, and the rule that splits its prompt."""

from __future__ import annotations

import pytest
from infiniretri_core import InfiniRetri, InputError

from infiniretri_integrations.langchain import InfiniRetriLLM, split_prompt

from .conftest import SHORT_FACTS, Recorder

TEXT, QUESTION = SHORT_FACTS[0]


def test_the_question_follows_the_last_marker() -> None:
    prompt = f"Notes.\nQuestion: ignored, part of the document.\n{TEXT}\nQuestion: {QUESTION}\n"
    document, question = split_prompt(prompt)
    assert question == QUESTION
    assert document.endswith(TEXT + "\n") and "ignored" in document


def test_without_a_marker_the_last_paragraph_is_the_question() -> None:
    assert split_prompt(f"{TEXT}\n\n{QUESTION}\n\n") == (TEXT, QUESTION)
    assert split_prompt(f"{TEXT}\n\n>> {QUESTION}", marker=">>") == (f"{TEXT}\n\n", QUESTION)


@pytest.mark.parametrize(
    "prompt", ["One line with no question marker", "Question: what?", f"{TEXT}\nQuestion:  "]
)
def test_a_prompt_without_document_or_question_is_an_error(prompt: str) -> None:
    with pytest.raises(InputError):
        split_prompt(prompt)


def test_invoke_answers_and_reports_its_evidence(engine: InfiniRetri) -> None:
    llm = InfiniRetriLLM(engine=engine, max_new_tokens=20)
    prompt = f"{TEXT}\n\nQuestion: {QUESTION}"
    assert "rye" in llm.invoke(prompt).lower()
    [[generation]] = llm.generate([prompt]).generations
    info = generation.generation_info or {}
    assert any("rye bread" in e["text"] for e in info["evidence"])
    for e in info["evidence"]:
        assert TEXT[e["start"] : e["end"]] == e["text"]


def test_stream_sends_each_token_through_the_callbacks(engine: InfiniRetri) -> None:
    llm = InfiniRetriLLM(engine=engine, max_new_tokens=20)
    recorder = Recorder()
    pieces = list(llm.stream(f"{TEXT}\n\n{QUESTION}", {"callbacks": [recorder]}))
    assert len(pieces) > 1 and recorder.tokens == pieces
    assert "rye" in "".join(pieces).lower()


def test_stop_sequences_cut_the_answer(engine: InfiniRetri) -> None:
    llm = InfiniRetriLLM(engine=engine, max_new_tokens=20)
    prompt = f"{TEXT}\n\nQuestion: {QUESTION}"
    full = llm.invoke(prompt)
    word = full.split()[1]
    cut = llm.invoke(prompt, stop=[word])
    assert cut == full[: full.find(word)]
    assert "".join(llm.stream(prompt, stop=[word])) == cut


def test_identifying_params_name_the_reader(engine: InfiniRetri) -> None:
    params = InfiniRetriLLM(engine=engine)._identifying_params
    assert params["layer"] == engine.layer and params["chunk_size"] == engine.config.chunk_size
