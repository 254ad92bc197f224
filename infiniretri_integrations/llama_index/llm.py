"""``InfiniRetriLLM``: the engine as a LlamaIndex ``CustomLLM`` (completion over a long prompt)."""

from __future__ import annotations

from typing import Any

from infiniretri_core import InfiniRetri
from infiniretri_core.families import model_name
from infiniretri_core.prompt import DEFAULT_MARKER, split_prompt
from llama_index.core.base.llms.types import (
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.bridge.pydantic import ConfigDict, Field
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.custom import CustomLLM

from .._engine import shared_engine

UNBOUNDED_CONTEXT = 2**31 - 1
"""The window the LLM advertises: the engine reads any length, chunk by chunk."""


class InfiniRetriLLM(CustomLLM):
    """A LlamaIndex LLM whose prompt is a document of any length followed by a question.

    ``question_marker`` (default ``"Question:"``) separates them, else the last paragraph is
    the question (see ``infiniretri_core.prompt.split_prompt``). ``metadata.context_window``
    is unbounded because the document is read in chunks; ``num_output`` is the answer
    length. ``CompletionResponse.raw`` holds the evidence (kept sentences with offsets).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: InfiniRetri = Field(default_factory=shared_engine, exclude=True)
    question_marker: str | None = DEFAULT_MARKER
    max_new_tokens: int | None = None

    @classmethod
    def class_name(cls) -> str:
        return "InfiniRetriLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=UNBOUNDED_CONTEXT,
            num_output=self.max_new_tokens or self.engine.config.max_new_tokens,
            is_chat_model=False,
            model_name=model_name(self.engine.model) or "infiniretri",
        )

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        document, question = split_prompt(prompt, self.question_marker)
        answer = self.engine.answer(document, question, max_new_tokens=self.max_new_tokens)
        return CompletionResponse(text=answer.text, raw=answer.selection.as_dict())

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        document, question = split_prompt(prompt, self.question_marker)
        pieces = self.engine.stream_answer(document, question, max_new_tokens=self.max_new_tokens)

        def gen() -> CompletionResponseGen:
            text = ""
            try:
                for piece in pieces:
                    text += piece
                    yield CompletionResponse(text=text, delta=piece)
            finally:
                pieces.close()  # stops the generation if the consumer leaves early

        return gen()
