"""``InfiniRetriSynthesizer``: every retrieved node read as one long document, then answered."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Sequence
from typing import Any, Literal

from infiniretri_core import Evidence, InfiniRetri, Selection
from llama_index.core.base.response.schema import (
    RESPONSE_TYPE,
    AsyncStreamingResponse,
    Response,
    StreamingResponse,
)
from llama_index.core.callbacks import CallbackManager
from llama_index.core.instrumentation.events.synthesis import (
    SynthesizeEndEvent,
    SynthesizeStartEvent,
)
from llama_index.core.llms import LLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.prompts.mixin import PromptDictType
from llama_index.core.response_synthesizers import BaseSynthesizer
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle, QueryType, TextNode

from .._engine import shared_engine, tailored
from .._threads import aiterate, to_thread
from ._nodes import evidence_nodes, node_texts
from .events import dispatcher, progress_events
from .llm import InfiniRetriLLM

PROMPT_KEY = "text_qa_template"


class InfiniRetriSynthesizer(BaseSynthesizer):
    """Answer from nodes of any total length: the local model reads them all as one text.

    No embedding model and no context-window packing: the nodes are read chunk by chunk and
    the model keeps the sentences its attention selects. ``writer`` writes the answer from
    those within the budget (``answer_max_tokens``, ``writer_order``; default: the engine's):
    any LlamaIndex LLM, a local model by name or path (e.g. ``"qwen2.5-coder-1.5b"``, loaded
    once per process), or ``None``, the engine's own writer. The response's ``source_nodes``
    are those sentences, each related to its source node (``NodeRelationship.SOURCE``) with
    character offsets into it and a score. When streaming, ``source_nodes`` is filled once
    the reading is done (before the first token).
    """

    def __init__(
        self,
        engine: InfiniRetri | None = None,
        writer: LLM | str | None = None,
        streaming: bool = False,
        max_new_tokens: int | None = None,
        callback_manager: CallbackManager | None = None,
        answer_max_tokens: int | None = None,
        writer_order: Literal["document", "score"] | None = None,
    ) -> None:
        local = writer if isinstance(writer, str) else None
        self._engine = tailored(
            engine or shared_engine(),
            local,
            answer_max_tokens=answer_max_tokens,
            writer_order=writer_order,
        )
        writer = None if isinstance(writer, str) else writer
        self._writer = writer
        self._max_new_tokens = max_new_tokens
        self._local_llm = (
            None if writer else InfiniRetriLLM(engine=self._engine, max_new_tokens=max_new_tokens)
        )
        llm = writer or self._local_llm
        super().__init__(llm=llm, callback_manager=callback_manager, streaming=streaming)

    @property
    def engine(self) -> InfiniRetri:
        return self._engine

    # -- prompts ------------------------------------------------------------------------

    def _get_prompts(self) -> PromptDictType:
        template = self._engine.config.prompt_template
        return {
            PROMPT_KEY: PromptTemplate(
                template.replace("{context}", "{context_str}").replace("{question}", "{query_str}")
            )
        }

    def _update_prompts(self, prompts: PromptDictType) -> None:
        """A new prompt makes a new engine from the old one's options: its scorer, layer and
        link head kept (nothing calibrated again), and the local writer given it too."""
        if PROMPT_KEY not in prompts:
            return
        text = prompts[PROMPT_KEY].get_template()
        template = text.replace("{context_str}", "{context}").replace("{query_str}", "{question}")
        options = self._engine.options().replace(prompt_template=template)
        self._engine = InfiniRetri.from_options(options)
        if self._local_llm is not None:
            self._local_llm.engine = self._engine

    # -- reading and writing ------------------------------------------------------------

    def _select(self, query: str, texts: Sequence[str]) -> tuple[Selection, str]:
        """The selection, and the prompt of the evidence in the writer's budget and order."""
        selection, budget = self._engine.select_for_writer(list(texts), query, progress_events())
        return selection, self._engine.answer_prompt(budget, query)

    def _answer(self, query: str, texts: Sequence[str]) -> tuple[str, list[Evidence]]:
        if self._writer is None:
            ans = self._engine.answer(list(texts), query, progress_events(), self._max_new_tokens)
            return ans.text, ans.evidence
        selection, prompt = self._select(query, texts)
        return self._writer.complete(prompt).text.strip(), selection.evidence

    def _stream(
        self, query: str, texts: Sequence[str], found: list[NodeWithScore], sources: list[BaseNode]
    ) -> Generator[str, None, None]:
        """Answer pieces; ``found`` (the response's ``source_nodes``) is filled as soon as the
        reading is done, before the first piece."""
        if self._writer is None:
            pieces = self._engine.stream_answer(
                list(texts), query, progress_events(), self._max_new_tokens
            )
            filled = False
            for piece in pieces:
                if not filled:
                    filled = _fill(found, pieces.selection, sources)
                yield piece
            if not filled:  # an empty answer
                _fill(found, pieces.selection, sources)
            return
        selection, prompt = self._select(query, texts)
        _fill(found, selection, sources)
        for chunk in self._writer.stream_complete(prompt):
            if chunk.delta:
                yield chunk.delta

    # -- BaseSynthesizer ------------------------------------------------------------------

    def get_response(self, query_str: str, text_chunks: Sequence[str], **kwargs: Any) -> Any:
        if self._streaming:
            return self._stream(query_str, text_chunks, [], _text_nodes(text_chunks))
        return self._answer(query_str, text_chunks)[0]

    async def aget_response(self, query_str: str, text_chunks: Sequence[str], **kw: Any) -> Any:
        if self._streaming:
            nodes = _text_nodes(text_chunks)
            return aiterate(lambda: self._stream(query_str, text_chunks, [], nodes))
        return (await to_thread(lambda: self._answer(query_str, text_chunks)))[0]

    @dispatcher.span
    def synthesize(
        self,
        query: QueryType,
        nodes: list[NodeWithScore],
        additional_source_nodes: Sequence[NodeWithScore] | None = None,
        **response_kwargs: Any,
    ) -> RESPONSE_TYPE:
        bundle, sources, texts = _start(query, nodes)
        if not _has_text(texts):
            response: RESPONSE_TYPE = Response(self._empty_response)
        elif self._streaming:
            found = list(additional_source_nodes or [])
            gen = self._stream(bundle.query_str, texts, found, sources)
            response = StreamingResponse(gen, source_nodes=found)
        else:
            text, evidence = self._answer(bundle.query_str, texts)
            response = self._response(text, evidence, sources, additional_source_nodes)
        dispatcher.event(SynthesizeEndEvent(query=bundle, response=response))
        return response

    @dispatcher.span
    async def asynthesize(
        self,
        query: QueryType,
        nodes: list[NodeWithScore],
        additional_source_nodes: Sequence[NodeWithScore] | None = None,
        **response_kwargs: Any,
    ) -> RESPONSE_TYPE:
        bundle, sources, texts = _start(query, nodes)
        if not _has_text(texts):
            response: RESPONSE_TYPE = Response(self._empty_response)
        elif self._streaming:
            found = list(additional_source_nodes or [])
            agen: AsyncGenerator[str, None] = aiterate(
                lambda: self._stream(bundle.query_str, texts, found, sources)
            )
            response = AsyncStreamingResponse(agen, source_nodes=found)
        else:
            text, evidence = await to_thread(lambda: self._answer(bundle.query_str, texts))
            response = self._response(text, evidence, sources, additional_source_nodes)
        dispatcher.event(SynthesizeEndEvent(query=bundle, response=response))
        return response

    def _response(
        self,
        text: str,
        evidence: list[Evidence],
        sources: list[BaseNode],
        additional: Sequence[NodeWithScore] | None,
    ) -> Response:
        source_nodes = evidence_nodes(evidence, sources) + list(additional or [])
        metadata = {n.node.node_id: n.node.metadata for n in source_nodes}
        return Response(text, source_nodes=source_nodes, metadata=metadata)


def _text_nodes(texts: Sequence[str]) -> list[BaseNode]:
    return [TextNode(text=t) for t in texts]


def _start(
    query: QueryType, nodes: list[NodeWithScore]
) -> tuple[QueryBundle, list[BaseNode], list[str]]:
    """The query as a bundle (start event sent), the nodes and their texts, read once."""
    bundle = QueryBundle(query_str=query) if isinstance(query, str) else query
    dispatcher.event(SynthesizeStartEvent(query=bundle))
    sources = [n.node for n in nodes]
    return bundle, sources, node_texts(sources)


def _fill(found: list[NodeWithScore], selection: Selection | None, sources: list[BaseNode]) -> bool:
    """Put the evidence at the head of ``found`` once the reading is done."""
    if selection is None:
        return False
    found[:0] = evidence_nodes(selection.evidence, sources)
    return True


def _has_text(texts: Sequence[str]) -> bool:
    return any(t.strip() for t in texts)
