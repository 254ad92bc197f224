"""InfiniRetriTool: files inside its folder, texts or bound documents; errors go to the agent."""

from __future__ import annotations

from pathlib import Path

from infiniretri_core import InfiniRetri, haystack
from langchain_core.documents import Document
from langchain_core.messages import ToolMessage

from infiniretri_integrations.langchain import InfiniRetriTool

from .conftest import SHORT_FACTS, needle_kept


def _call(tool: InfiniRetriTool, **args: str) -> ToolMessage:
    msg = tool.invoke({"type": "tool_call", "id": "call-1", "name": tool.name, "args": args})
    assert isinstance(msg, ToolMessage)
    return msg


def test_a_file_in_the_folder_is_read_and_cited(engine: InfiniRetri, needle_file: Path) -> None:
    tool = InfiniRetriTool(engine=engine, root_dir=needle_file.parent, max_new_tokens=32)
    msg = _call(tool, question=haystack.QUESTION, path=needle_file.name)
    assert msg.status == "success"
    assert haystack.word_recall(str(msg.content)) >= 0.8, msg.content
    assert needle_kept(msg.artifact)
    text = needle_file.read_text(encoding="utf-8")
    for doc in msg.artifact:
        assert doc.metadata["source"] == needle_file.name
        assert text[doc.metadata["start_index"] : doc.metadata["end_index"]] == doc.page_content


def test_paths_outside_the_folder_and_bad_calls_come_back_as_errors(
    engine: InfiniRetri, needle_file: Path, tmp_path: Path
) -> None:
    tool = InfiniRetriTool(engine=engine, root_dir=tmp_path)
    (tmp_path / "binary.dat").write_bytes(b"\xff\xfe\x00garbage")
    cases = {
        "outside": {"path": str(needle_file)},
        "escape": {"path": "../" + needle_file.parent.name + "/" + needle_file.name},
        "missing": {"path": "nope.txt"},
        "binary": {"path": "binary.dat"},
        "both": {"path": "x.txt", "text": "Some text."},
        "neither": {},
        "blank text": {"text": "   "},
    }
    for why, args in cases.items():
        msg = _call(tool, question="What?", **args)
        assert msg.status == "error", why
        assert msg.content, why


def test_documents_bound_at_construction_need_only_the_question(engine: InfiniRetri) -> None:
    text, question = SHORT_FACTS[0]
    tool = InfiniRetriTool(
        engine=engine, documents=[Document(page_content=text, metadata={"source": "bakery"})]
    )
    assert "rye" in str(tool.invoke({"question": question})).lower()  # plain call: content
    msg = _call(tool, question=question)
    assert all(d.metadata["source"] == "bakery" for d in msg.artifact)
