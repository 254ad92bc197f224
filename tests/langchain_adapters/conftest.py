"""Documents, loaders and callback recorders shared by the LangChain tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from infiniretri_core import InfiniRetri, haystack
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from infiniretri_integrations.langchain import PROGRESS_EVENT


class PagedTextLoader(BaseLoader):
    """A text file as pages of about ``page_chars`` characters, cut at sentence ends."""

    def __init__(self, path: Path, page_chars: int = 6000) -> None:
        self.path = path
        self.page_chars = page_chars

    def lazy_load(self) -> Iterator[Document]:
        text = self.path.read_text(encoding="utf-8")
        start, page = 0, 0
        while start < len(text):
            end = text.find(". ", start + self.page_chars)
            end = len(text) if end < 0 else end + 1
            yield Document(
                page_content=text[start:end],
                metadata={"source": str(self.path), "page": page},
                id=f"{self.path.name}:{page}",
            )
            start, page = end, page + 1


class Recorder(BaseCallbackHandler):
    """Records progress events, streamed tokens and which runs started under which."""

    def __init__(self) -> None:
        self.progress: list[dict[str, Any]] = []
        self.progress_parents: set[UUID] = set()
        self.tokens: list[str] = []
        self.chat_prompts: list[tuple[UUID | None, str]] = []
        self.chain_runs: list[UUID] = []

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if name == PROGRESS_EVENT:
            self.progress.append(data)
            self.progress_parents.add(run_id)

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: UUID, **kw: Any) -> None:
        self.chain_runs.append(run_id)

    def on_chat_model_start(
        self, serialized: Any, messages: Any, *, run_id: UUID, parent_run_id: UUID | None, **kw: Any
    ) -> None:
        self.chat_prompts.append((parent_run_id, messages[0][-1].text))


def assert_spans(evidence: list[Document], sources: list[Document]) -> None:
    """Every evidence Document is an exact slice of its source and keeps its metadata."""
    assert evidence
    for doc in evidence:
        meta = doc.metadata
        src = sources[meta["source_index"]]
        assert src.page_content[meta["start_index"] : meta["end_index"]] == doc.page_content
        for key, value in src.metadata.items():
            assert meta[key] == value
        assert 0.0 <= meta["score"] <= 1.0


def needle_kept(docs: list[Document]) -> bool:
    return any("Dolores Park" in d.page_content for d in docs)


@pytest.fixture(scope="session")
def needle_file(tmp_path_factory: pytest.TempPathFactory, engine: InfiniRetri) -> Path:
    """About 4k tokens of essays with the needle in the middle."""
    path = tmp_path_factory.mktemp("docs") / "essays-4k.txt"
    path.write_text(haystack.build(engine.tokenizer, 4000, 0.5), encoding="utf-8")
    return path


SHORT_FACTS = [
    (
        "Lena Brandt opened a bakery in Oslo in 1998. The bakery is famous for its rye bread. "
        "Her brother Tomas repairs bicycles.",
        "What is the bakery famous for?",
    ),
    (
        "The river Ottra freezes every January. Fishermen cut holes in the ice to catch trout. "
        "The nearest town is Valle.",
        "What do fishermen catch?",
    ),
    (
        "Professor Amadi teaches chemistry at Lagos. He wrote a book about salt crystals. "
        "His students call him the salt man.",
        "What did Professor Amadi write a book about?",
    ),
]
