"""Nodes and an instrumentation recorder shared by the LlamaIndex tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from infiniretri_core import InfiniRetri, haystack
from llama_index.core.bridge.pydantic import Field
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.schema import Document, NodeWithScore, TextNode

from infiniretri_integrations.llama_index import InfiniRetriProgressEvent


class EventRecorder(BaseEventHandler):
    events: list[BaseEvent] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "EventRecorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)

    @property
    def progress(self) -> list[InfiniRetriProgressEvent]:
        return [e for e in self.events if isinstance(e, InfiniRetriProgressEvent)]


@pytest.fixture
def recorder() -> Iterator[EventRecorder]:
    root = get_dispatcher()
    handler = EventRecorder()
    root.add_event_handler(handler)
    yield handler
    root.event_handlers.remove(handler)


def pages(text: str, source: str, size: int = 6000) -> list[Document]:
    return [
        Document(text=text[i : i + size], metadata={"file_name": source, "page": n})
        for n, i in enumerate(range(0, len(text), size))
    ]


@pytest.fixture(scope="session")
def needle_pages(engine: InfiniRetri) -> list[Document]:
    """About 4k tokens of essays with the needle in the middle, as pages."""
    return pages(haystack.build(engine.tokenizer, 4000, 0.5), "essays.txt", 3000)


def assert_evidence(found: list[NodeWithScore], sources: list[Any]) -> None:
    """Each evidence node is an exact slice of the node it points at and keeps its metadata."""
    assert found
    by_id = {s.node_id: s for s in sources}
    for n in found:
        src = by_id[n.node.source_node.node_id]  # type: ignore[union-attr]
        text = src.get_content()
        assert isinstance(n.node, TextNode)
        assert text[n.node.start_char_idx : n.node.end_char_idx] == n.node.text
        assert n.node.metadata == src.metadata
        assert n.score is not None and 0.0 <= n.score <= 1.0


def needle_kept(found: list[NodeWithScore]) -> bool:
    return any("Dolores Park" in n.node.get_content() for n in found)


SHORT_FACTS = [
    TextNode(
        text="Lena Brandt opened a bakery in Oslo in 1998. The bakery is famous for its rye "
        "bread. Her brother Tomas repairs bicycles.",
        metadata={"topic": "bakery"},
    ),
    TextNode(
        text="The river Ottra freezes every January. Fishermen cut holes in the ice to catch "
        "trout. The nearest town is Valle.",
        metadata={"topic": "river"},
    ),
]
