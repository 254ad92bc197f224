"""Every example runs, in-process (on the session's engine), on a shorter document."""

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


def test_langchain_chain_example(engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("langchain_chain.py", ["--tokens", "3000"], monkeypatch, capsys)
    answer = out.split("answer: ", 1)[1].splitlines()[0]
    assert haystack.word_recall(answer) >= 0.8, out
    assert "sentences kept; strongest (page" in out


def test_langchain_rag_example(engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("langchain_rag.py", ["--tokens", "3000"], monkeypatch, capsys)
    assert "Dolores Park" in out.split("retriever kept:", 1)[1].split("RAG answer:")[0]
    assert "Dolores Park" in out.split("compressor kept", 1)[1]
    assert "RAG answer:" in out


def test_langchain_agent_example(engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("langchain_agent.py", ["--tokens", "3000"], monkeypatch, capsys)
    tool_line = next(line for line in out.splitlines() if line.startswith("tool "))
    assert haystack.word_recall(tool_line.split("->", 1)[1]) >= 0.8, out
    assert "evidence [essays.txt" in out and "agent:" in out


def test_llamaindex_query_engine_example(engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("llamaindex_query_engine.py", ["--tokens", "3000"], monkeypatch, capsys)
    answer = out.split("answer: ", 1)[1].splitlines()[0]
    assert haystack.word_recall(answer) >= 0.8, out
    assert "sentences kept; strongest (page" in out


def test_llamaindex_retriever_example(engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("llamaindex_retriever.py", ["--tokens", "3000"], monkeypatch, capsys)
    assert "retriever kept:" in out and "answer:" in out
    assert "Dolores Park" in out.split("postprocessor kept", 1)[1]


def test_llamaindex_agent_example(engine, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = run_example("llamaindex_agent.py", ["--tokens", "3000"], monkeypatch, capsys)
    lines = [line for line in out.splitlines() if line.startswith("tool ")]
    assert len(lines) == 2
    for line in lines:
        assert haystack.word_recall(line.split("->", 1)[1]) >= 0.8, out
