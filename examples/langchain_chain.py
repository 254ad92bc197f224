"""A LangChain chain that answers a question over a document longer than the model's window.

    python examples/langchain_chain.py                    # ~16k-token haystack with a needle
    python examples/langchain_chain.py --file book.txt --question "Who is the narrator?"

The context comes in as LangChain Documents (pages); InfiniRetriQA reads them all, chunk by
chunk, and the embedded SmolLM2 answers from the sentences its attention kept. The answer
streams; a callback handler shows the reading progress (one custom event per chunk).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from infiniretri_core import haystack
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from infiniretri_integrations._engine import shared_engine
from infiniretri_integrations.langchain import PROGRESS_EVENT, InfiniRetriQA


class ShowProgress(BaseCallbackHandler):
    def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        if name == PROGRESS_EVENT:
            print(
                f"\r  read chunk {data['chunk']}/{data['num_chunks']}, "
                f"{data['tokens_read']}/{data['tokens_total']} tokens, "
                f"cache {data['tokens_kept']}",
                end="\n" if data["chunk"] == data["num_chunks"] else "",
                file=sys.stderr,
                flush=True,
            )


def pages(text: str, source: str, size: int = 8000) -> list[Document]:
    """The text as pages, as a document loader would return it."""
    return [
        Document(page_content=text[i : i + size], metadata={"source": source, "page": n})
        for n, i in enumerate(range(0, len(text), size))
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--file", help="a UTF-8 text file (default: a Paul Graham haystack)")
    ap.add_argument("--question", default=haystack.QUESTION)
    ap.add_argument("--tokens", type=int, default=16_000, help="haystack length in tokens")
    args = ap.parse_args()

    engine = shared_engine()
    if args.file:
        text, source = Path(args.file).read_text(encoding="utf-8"), args.file
    else:
        text, source = haystack.build(engine.tokenizer, args.tokens, 0.6), "haystack"

    # return_evidence=True: chunks are {"answer": token}..., then {"evidence": [Document]}.
    # For the answer alone, drop it and add `| StrOutputParser()` to the chain.
    qa = InfiniRetriQA(engine=engine, return_evidence=True, max_new_tokens=48)
    load = RunnableLambda(lambda _: pages(text, source))
    chain = {"context": load, "question": RunnablePassthrough()} | qa
    print(f"question: {args.question}")
    print("answer: ", end="", flush=True)
    evidence: list[Document] = []
    for chunk in chain.stream(args.question, {"callbacks": [ShowProgress()]}):
        print(chunk.get("answer", ""), end="", flush=True)
        evidence = chunk.get("evidence", evidence)
    print()
    best = max(evidence, key=lambda d: d.metadata["score"])
    meta = best.metadata
    print(
        f"{len(evidence)} sentences kept; strongest (page {meta['page']}, chars "
        f"{meta['start_index']}-{meta['end_index']}): {best.page_content}"
    )


if __name__ == "__main__":
    main()
