"""``InfiniRetriTool``: an agent's tool for questions about documents too long for its model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from infiniretri_core import InfiniRetri, InfiniRetriError, InputError
from langchain_core.callbacks import (
    AsyncCallbackManagerForToolRun,
    CallbackManagerForToolRun,
)
from langchain_core.documents import Document
from langchain_core.language_models import BaseLanguageModel
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .._engine import shared_engine
from .._files import read_inside
from ._answering import Job, job_for
from ._documents import evidence_documents
from ._events import async_progress_reporter, progress_reporter


class LongDocumentQuestion(BaseModel):
    """Arguments of the tool, as the agent's model sees them."""

    question: str = Field(description="The question to answer from the document.")
    path: str | None = Field(
        default=None, description="Path of a UTF-8 text file to read, if the document is a file."
    )
    text: str | None = Field(
        default=None, description="The document's full text, if it is not given as a file."
    )


class InfiniRetriTool(BaseTool):
    """Answer a question about a long document by reading all of it with InfiniRetri.

    The document is a file (``path``, which must lie inside ``root_dir``, the working
    directory by default), a ``text``, or the ``documents`` the tool was built with. The
    content is the answer; the artifact is the evidence: one Document per sentence the model
    kept, with its source and character span, for citations. Bad input comes back to the
    agent as an error message (``handle_tool_error``) rather than as an exception.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "long_document_qa"
    description: str = (
        "Answer a question about a long document (a text file or a text), reading the whole "
        "document however long it is. Input: the question, and a file path or the text."
    )
    args_schema: type[BaseModel] = LongDocumentQuestion
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool | str | Any = True

    engine: InfiniRetri = Field(default_factory=shared_engine, exclude=True)
    writer: BaseLanguageModel | str | None = None
    """Writes the answer: a LangChain LLM or chat model, a local model by name or path (e.g.
    ``"qwen2.5-coder-1.5b"``, loaded once per process), or ``None``: the engine's writer."""
    answer_max_tokens: int | None = None
    """The writer's evidence budget in tokens (default: the engine's ``answer_max_tokens``)."""
    writer_order: Literal["document", "score"] | None = None
    """The writer's evidence order (default: the engine's ``writer_order``)."""
    documents: list[Document] | None = None
    """The document(s) to answer about when the call names neither a path nor a text."""
    root_dir: Path = Field(default_factory=Path.cwd)
    """Files outside this folder are refused."""
    max_new_tokens: int | None = None

    @field_validator("root_dir")
    @classmethod
    def _resolve_root(cls, value: Path) -> Path:
        return Path(value).resolve()

    def _sources(self, path: str | None, text: str | None) -> list[Document]:
        if path is not None and text is not None:
            raise ToolException("give either a path or a text, not both")
        if text is not None:
            return [Document(page_content=text)]
        if path is not None:
            return [Document(page_content=self._read(path), metadata={"source": path})]
        if self.documents:
            return list(self.documents)
        raise ToolException("give the document: a path to a text file, or its text")

    def _read(self, path: str) -> str:
        try:
            return read_inside(self.root_dir, path)
        except InputError as exc:
            raise ToolException(str(exc)) from exc

    def _job(
        self, question: str, path: str | None, text: str | None, progress: Any, child: Any
    ) -> tuple[Job, list[Document]]:
        sources = self._sources(path, text)
        parts = [d.page_content for d in sources]
        return job_for(self, parts, question, progress, {"callbacks": child}), sources

    def _run(
        self,
        question: str,
        path: str | None = None,
        text: str | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, list[Document]]:
        child = run_manager.get_child() if run_manager else None
        job, sources = self._job(question, path, text, progress_reporter(child), child)
        try:
            answer, evidence = job.answer()
        except InfiniRetriError as exc:
            raise ToolException(str(exc)) from exc
        return answer, evidence_documents(evidence, sources)

    async def _arun(
        self,
        question: str,
        path: str | None = None,
        text: str | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, list[Document]]:
        child = run_manager.get_child() if run_manager else None
        job, sources = self._job(question, path, text, async_progress_reporter(child), child)
        try:
            answer, evidence = await job.aanswer()
        except InfiniRetriError as exc:
            raise ToolException(str(exc)) from exc
        return answer, evidence_documents(evidence, sources)
