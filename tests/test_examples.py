"""Every example runs, in-process, on a shorter document, with the default engine a user gets
(``shared_engine()``: the embedded reader, the default writer answering)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest
from infiniretri_core import haystack

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, args: list[str], monkeypatch: pytest.MonkeyPatch, capsys) -> str:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "argv", [name, *args])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return str(capsys.readouterr().out)


def test_langchain_chain_example(default_engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("langchain_chain.py", ["--tokens", "3000"], monkeypatch, capsys)
    answer = out.split("answer: ", 1)[1].splitlines()[0]
    assert haystack.answers_needle(answer), out
    assert "sentences kept; strongest (page" in out


def test_langchain_rag_example(default_engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("langchain_rag.py", ["--tokens", "3000"], monkeypatch, capsys)
    assert "Dolores Park" in out.split("retriever kept:", 1)[1].split("RAG answer:")[0]
    assert "Dolores Park" in out.split("compressor kept", 1)[1]
    assert "RAG answer:" in out


def test_langchain_agent_example(default_engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("langchain_agent.py", ["--tokens", "3000"], monkeypatch, capsys)
    tool_line = next(line for line in out.splitlines() if line.startswith("tool "))
    assert haystack.answers_needle(tool_line.split("->", 1)[1]), out
    assert "evidence [essays.txt" in out and "agent:" in out


def test_llamaindex_query_engine_example(default_engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("llamaindex_query_engine.py", ["--tokens", "3000"], monkeypatch, capsys)
    answer = out.split("answer: ", 1)[1].splitlines()[0]
    assert haystack.answers_needle(answer), out
    assert "sentences kept; strongest (page" in out


def test_llamaindex_retriever_example(default_engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("llamaindex_retriever.py", ["--tokens", "3000"], monkeypatch, capsys)
    assert "retriever kept:" in out and "answer:" in out
    assert "Dolores Park" in out.split("postprocessor kept", 1)[1]


def test_llamaindex_agent_example(default_engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("llamaindex_agent.py", ["--tokens", "3000"], monkeypatch, capsys)
    lines = [line for line in out.splitlines() if line.startswith("tool ")]
    assert len(lines) == 2
    for line in lines:
        assert haystack.answers_needle(line.split("->", 1)[1]), out
