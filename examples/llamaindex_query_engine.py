"""A LlamaIndex query engine whose "retrieval" is the model reading the whole document.

    python examples/llamaindex_query_engine.py                 # ~16k-token haystack
    python examples/llamaindex_query_engine.py --file book.txt --question "Who is the narrator?"

SummaryIndex hands every node to InfiniRetriSynthesizer, which reads them as one text, chunk
by chunk; the embedded SmolLM2 answers from the sentences its attention kept. No embedding
model, no vector store, no API key. An instrumentation handler shows the reading progress.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from infiniretri_core import haystack
from llama_index.core import SummaryIndex
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.schema import Document

from infiniretri_integrations._engine import shared_engine
from infiniretri_integrations.llama_index import (
    InfiniRetriLLM,
    InfiniRetriProgressEvent,
    InfiniRetriSynthesizer,
)


class ShowProgress(BaseEventHandler):
    @classmethod
    def class_name(cls) -> str:
        return "ShowProgress"

    def handle(self, event: Any, **kwargs: Any) -> None:
        if isinstance(event, InfiniRetriProgressEvent):
            print(
                f"\r  read chunk {event.chunk}/{event.num_chunks}, "
                f"cache {event.tokens_kept} tokens",
                end="\n" if event.chunk == event.num_chunks else "",
                file=sys.stderr,
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--file", help="a UTF-8 text file (default: a Paul Graham haystack)")
    ap.add_argument("--question", default=haystack.QUESTION)
    ap.add_argument("--tokens", type=int, default=16_000, help="haystack length in tokens")
    args = ap.parse_args()

    engine = shared_engine()
    if args.file:
        text, name = Path(args.file).read_text(encoding="utf-8"), args.file
    else:
        text, name = haystack.build(engine.tokenizer, args.tokens, 0.3), "essays.txt"
    size = 8000
    nodes = [
        Document(text=text[i : i + size], metadata={"file_name": name, "page": n})
        for n, i in enumerate(range(0, len(text), size))
    ]
    get_dispatcher().add_event_handler(ShowProgress())

    query_engine = SummaryIndex(nodes).as_query_engine(
        response_synthesizer=InfiniRetriSynthesizer(engine, streaming=True, max_new_tokens=48),
        llm=InfiniRetriLLM(engine=engine),
    )
    print(f"question: {args.question} ({len(nodes)} nodes)")
    response = query_engine.query(args.question)
    print("answer: ", end="", flush=True)
    for token in response.response_gen:  # type: ignore[union-attr]
        print(token, end="", flush=True)
    print()
    best = max(response.source_nodes, key=lambda n: n.score or 0.0)
    print(
        f"{len(response.source_nodes)} sentences kept; strongest (page "
        f"{best.node.metadata['page']}, chars {best.node.start_char_idx}-"  # type: ignore[attr-defined]
        f"{best.node.end_char_idx}): {best.node.get_content()}"  # type: ignore[attr-defined]
    )


if __name__ == "__main__":
    main()
