"""``InfiniRetriLLM``: a plain LangChain LLM whose prompt is a long text plus a question."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infiniretri_core import InfiniRetri
from infiniretri_core.families import model_name
from infiniretri_core.prompt import DEFAULT_MARKER, split_prompt
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LLM
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from pydantic import ConfigDict, Field

from .._engine import shared_engine


def _truncate(text: str, stop: list[str] | None) -> tuple[str, bool]:
    """``text`` up to the first stop sequence, and whether one was found."""
    cut = min((i for s in stop or [] if (i := text.find(s)) >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


class InfiniRetriLLM(LLM):
    """The engine as an LLM for chains that want ``str -> str``.

    The prompt is a document of any length followed by a question; :func:`split_prompt` says
    how they are told apart (``question_marker``, default ``"Question:"``, else the last
    paragraph). The model reads the document with InfiniRetri and answers from the sentences
    it kept; ``generation_info["evidence"]`` lists them with their character spans.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: InfiniRetri = Field(default_factory=shared_engine, exclude=True)
    question_marker: str | None = DEFAULT_MARKER
    max_new_tokens: int | None = None

    @property
    def _llm_type(self) -> str:
        return "infiniretri"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        cfg = self.engine.config
        return {
            "model": model_name(self.engine.model),
            "layer": self.engine.layer,
            "chunk_size": cfg.chunk_size,
            "top_k": cfg.top_k,
            "max_new_tokens": self.max_new_tokens or cfg.max_new_tokens,
        }

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        return self._generate([prompt], stop, run_manager, **kwargs).generations[0][0].text

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        generations = []
        for prompt in prompts:
            document, question = split_prompt(prompt, self.question_marker)
            answer = self.engine.answer(document, question, max_new_tokens=self.max_new_tokens)
            text, _ = _truncate(answer.text, stop)
            info = answer.selection.as_dict()
            generations.append([Generation(text=text, generation_info=info)])
        return LLMResult(generations=generations)

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        document, question = split_prompt(prompt, self.question_marker)
        pieces = self.engine.stream_answer(document, question, max_new_tokens=self.max_new_tokens)
        text = ""
        try:
            for piece in pieces:
                kept, stopped = _truncate(text + piece, stop)
                new = kept[len(text) :]
                text = kept
                if new:
                    chunk = GenerationChunk(text=new)
                    if run_manager is not None:
                        run_manager.on_llm_new_token(new, chunk=chunk)
                    yield chunk
                if stopped:
                    return
        finally:
            pieces.close()  # stops the generation if we leave early
