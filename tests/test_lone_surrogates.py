"""Lone surrogates (what JSON's ``\\ud800`` escapes make) are an InputError at every door.

A str may hold a code point in U+D800-U+DFFF that no valid text holds and no tokenizer
encodes; without a check it failed deep in the tokenizer with a ``TypeError``. The check sits
where text enters (the document's parts, the question), so every entry point, the command
line and batch records get the same error, saying where the surrogate is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from infiniretri_core import InfiniRetri, InputError
from infiniretri_core.cli import main

BAD = "The code is 7. \ud800 more."  # the surrogate at character 15
GOOD = "The code is 7. Nothing more."
QUESTION = "What is the code?"


Call = Callable[[InfiniRetri, Any, str], object]
ENTRY_POINTS: dict[str, Call] = {
    "select": lambda e, d, q: e.select(d, q),
    "select_many": lambda e, d, q: e.select_many(d, [QUESTION, q]),
    "select_for_writer": lambda e, d, q: e.select_for_writer(d, q),
    "answer": lambda e, d, q: e.answer(d, q),
    "answer_many": lambda e, d, q: e.answer_many(d, [q]),
    "stream_answer": lambda e, d, q: next(iter(e.stream_answer(d, q))),
}


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_every_entry_point_says_where_the_surrogate_is(small: InfiniRetri, name: str) -> None:
    call = ENTRY_POINTS[name]
    with pytest.raises(InputError, match=r"^document holds a lone surrogate \(U\+D800\) at char"):
        call(small, BAD, QUESTION)
    with pytest.raises(InputError, match=r"document part 1 holds .* \(U\+D800\) at character 15"):
        call(small, [GOOD, BAD], QUESTION)
    with pytest.raises(InputError, match=r"^question holds .* \(U\+DFFF\) at character 8:"):
        call(small, GOOD, "What is \udfff?")


def test_the_other_doors_of_the_engine(small: InfiniRetri) -> None:
    with pytest.raises(InputError, match="document holds a lone surrogate"):
        small.prepare(BAD)
    with pytest.raises(InputError, match="question holds a lone surrogate"):
        small.question_parts("\udc80")
    with pytest.raises(InputError, match="context holds a lone surrogate"):
        small.write(BAD, QUESTION)
    with pytest.raises(InputError, match="question holds a lone surrogate"):
        small.answer_prompt(small.select(GOOD, QUESTION), "\ud800?")


def test_the_command_line_refuses_it_before_loading_a_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # argv holds lone surrogates where the shell passed bytes that are not UTF-8
    book = tmp_path / "book.txt"
    book.write_text(GOOD, encoding="utf-8")
    args = ["ask", str(book), "-q", "What is \udcff?", "--model", str(tmp_path / "no-model")]
    assert main(args) == 2
    assert "question holds a lone surrogate (U+DCFF) at character 8" in capsys.readouterr().err


def test_the_command_line_with_an_engine(
    small: InfiniRetri, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = tmp_path / "book.txt"
    book.write_text(GOOD, encoding="utf-8")
    for command in ("ask", "select"):
        assert main([command, str(book), "-q", "\ud800", "--no-progress"], engine=small) == 2
        assert "question holds a lone surrogate" in capsys.readouterr().err


def test_batch_records_get_error_lines_and_resume(small: InfiniRetri, tmp_path: Path) -> None:
    """JSON escapes make the surrogates; each becomes an error line, written (as ASCII
    escapes) so that a resumed run finds the pair done."""
    records = [
        {"id": "bad text", "text": BAD, "questions": [QUESTION]},
        {"id": "bad question", "text": GOOD, "questions": ["What is \ud800?", QUESTION]},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert "\\ud800" in src.read_text(encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["batch", str(src), "--out", str(out), "--max-new-tokens", "1", "--no-progress"]
    assert main(args, engine=small) == 1  # the job finished; some lines are errors
    lines = {(r["id"], r["question"]): r for r in map(json.loads, out.read_text().splitlines())}
    assert set(lines) == {(r["id"], q) for r in records for q in r["questions"]}
    bad_text = lines["bad text", QUESTION]["error"]
    assert bad_text["type"] == "InputError" and "document holds" in bad_text["message"]
    bad_question = lines["bad question", "What is \ud800?"]["error"]
    assert "question holds a lone surrogate (U+D800) at character 8" in bad_question["message"]
    assert "answer" in lines["bad question", QUESTION]
    size = out.stat().st_size
    assert main(args, engine=small) == 0  # everything already done: nothing read or written
    assert out.stat().st_size == size


# -- fuzz: code points from the whole range, surrogates drawn often -----------------------

code_points = st.one_of(
    st.integers(0, 0x10FFFF),  # the whole range: every plane, surrogates included
    st.integers(0xD800, 0xDFFF),  # surrogates, often enough to meet them in most cases
    st.sampled_from([ord(c) for c in " .?!\n\tab"]),  # sentence breaks and words
).map(chr)


def texts(max_size: int) -> st.SearchStrategy[str]:
    return st.lists(code_points, max_size=max_size).map("".join)


def first_surrogate(text: str) -> int | None:
    return next((i for i, c in enumerate(text) if 0xD800 <= ord(c) <= 0xDFFF), None)


def expected_error(document: str, question: str) -> str | None:
    """The error the checks must raise, in their order (the question first), or None."""
    for what, text in (("question", question), ("document", document)):
        at = first_surrogate(text)
        if at is not None:
            return f"{what} holds a lone surrogate (U+{ord(text[at]):04X}) at character {at}:"
        if not text.strip():
            return f"{what} is empty"
    return None


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=texts(60), question=texts(16))
def test_fuzz_any_code_point_is_an_input_error_or_exact_offsets(
    small: InfiniRetri, document: str, question: str
) -> None:
    want = expected_error(document, question)
    try:
        sel = small.select(document, question)
    except InputError as exc:
        if want is None:  # a question of many rare code points may not fit a small chunk
            assert "shorten the question" in str(exc), exc
        else:
            assert str(exc).startswith(want), (str(exc), want)
        return
    assert want is None
    assert sel.tokens_read > 0 and sel.evidence
    for e in sel.evidence:
        assert document[e.start : e.end] == e.text
