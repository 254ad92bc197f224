"""The self-attention retriever, and the postprocessor behind another retriever.

    python examples/llamaindex_retriever.py

1. SelfAttentionRetriever: nodes in, the sentences the model's attention kept out, each a
   node related to its source node with character offsets, in a RetrieverQueryEngine.
2. InfiniRetriNodePostprocessor shrinks what another retriever returns (here SummaryIndex's,
   which returns every node) to the attended sentences, each keeping its own metadata.
"""

from __future__ import annotations

import argparse

from infiniretri_core import haystack
from llama_index.core import SummaryIndex
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import Document, NodeWithScore

from infiniretri_integrations._engine import shared_engine
from infiniretri_integrations.llama_index import (
    InfiniRetriLLM,
    InfiniRetriNodePostprocessor,
    SelfAttentionRetriever,
)


def cite(found: list[NodeWithScore]) -> str:
    return "\n".join(
        f"  [{n.node.metadata['file_name']} p{n.node.metadata['page']} "
        f"{n.node.start_char_idx}-{n.node.end_char_idx} score {n.score:.2f}] "  # type: ignore[attr-defined]
        f"{n.node.get_content()}"
        for n in found
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tokens", type=int, default=8_000, help="haystack length in tokens")
    args = ap.parse_args()

    engine = shared_engine()
    text = haystack.build(engine.tokenizer, args.tokens, 0.7)
    nodes = [
        Document(text=text[i : i + 6000], metadata={"file_name": "essays.txt", "page": n})
        for n, i in enumerate(range(0, len(text), 6000))
    ]
    question = haystack.QUESTION
    llm = InfiniRetriLLM(engine=engine, max_new_tokens=40)

    retriever = SelfAttentionRetriever(nodes, engine=engine, similarity_top_k=4)
    print(f"question: {question}\nretriever kept:\n{cite(retriever.retrieve(question))}")
    query_engine = RetrieverQueryEngine.from_args(retriever, llm=llm)
    print(f"answer: {query_engine.query(question)}")

    post = InfiniRetriNodePostprocessor(engine=engine, top_n=4)
    every_node = SummaryIndex(nodes).as_retriever().retrieve(question)
    kept = post.postprocess_nodes(every_node, query_str=question)
    print(f"postprocessor kept {len(kept)} sentences of {len(nodes)} nodes:\n{cite(kept)}")


if __name__ == "__main__":
    main()
