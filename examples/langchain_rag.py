"""InfiniRetri in a RAG chain: as the retriever, and as a compressor behind another retriever.

    python examples/langchain_rag.py

1. SelfAttentionRetriever replaces an embedding retriever: no embeddings, no index; the model
   reads the documents and returns the sentences its attention kept, with their spans.
2. InfiniRetriCompressor shrinks what an existing retriever returns (here a keyword retriever)
   to the attended sentences, each still carrying its page's metadata, for citations.
The writer in both chains is the embedded model (InfiniRetriLLM); any LangChain LLM would do.
"""

from __future__ import annotations

import argparse
import re

from infiniretri_core import haystack
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnablePassthrough

from infiniretri_integrations._engine import shared_engine
from infiniretri_integrations.langchain import (
    InfiniRetriCompressor,
    InfiniRetriLLM,
    SelfAttentionRetriever,
)

PROMPT = PromptTemplate.from_template("{context}\n\nQuestion: {question}")


class KeywordRetriever(BaseRetriever):
    """Stands for the retriever you already have: pages sharing a word with the query."""

    pages: list[Document]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        words = {w for w in re.findall(r"\w{4,}", query.lower())}
        return [p for p in self.pages if words & set(re.findall(r"\w+", p.page_content.lower()))]


def cite(docs: list[Document]) -> str:
    return "\n".join(
        f"  [{d.metadata['source']} p{d.metadata['page']} "
        f"{d.metadata['start_index']}-{d.metadata['end_index']}] {d.page_content}"
        for d in docs
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tokens", type=int, default=8_000, help="haystack length in tokens")
    args = ap.parse_args()

    engine = shared_engine()
    text = haystack.build(engine.tokenizer, args.tokens, 0.3)
    size = 6000
    pages = [
        Document(page_content=text[i : i + size], metadata={"source": "essays.txt", "page": n})
        for n, i in enumerate(range(0, len(text), size))
    ]
    question = haystack.QUESTION
    writer = InfiniRetriLLM(engine=engine, max_new_tokens=40)

    # 1. The self-attention retriever in place of an embedding retriever.
    retriever = SelfAttentionRetriever(engine=engine, documents=pages, k=4, order="document")
    rag = (
        {
            "context": retriever | (lambda docs: " ".join(d.page_content for d in docs)),
            "question": RunnablePassthrough(),
        }
        | PROMPT
        | writer
        | StrOutputParser()
    )
    print(f"question: {question}")
    print(f"retriever kept:\n{cite(retriever.invoke(question))}")
    print(f"RAG answer: {rag.invoke(question).strip()}")

    # 2. The compressor behind an existing retriever.
    compressed = ContextualCompressionRetriever(
        base_compressor=InfiniRetriCompressor(engine=engine, k=4),
        base_retriever=KeywordRetriever(pages=pages),
    )
    kept = compressed.invoke(question)
    print(f"compressor kept {len(kept)} sentences of {len(pages)} pages:\n{cite(kept)}")


if __name__ == "__main__":
    main()
