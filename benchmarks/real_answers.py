"""Answers with the same writer from the same budget: the cascade's ranking of its cache
against MiniLM RAG's ranking of the whole document.

For each case of a ``real_keep.py --dump`` file and its ``rerank_cache.py`` rows (which carry
the ranker's order), the embedded model (or ``--writer``) writes an answer (greedy,
``--max-new-tokens``) from the best sentences within ``--budget`` tokens of each ranking, in
document order, chosen by the engine's own writer policy (``writer.writer_sentences``); an
answer scores 1 if it holds one of the expected answers.

    python benchmarks/real_answers.py /tmp/kept.jsonl /tmp/reranked.txt --budget 400
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

import numpy as np
from infiniretri_core import InfiniRetri
from infiniretri_core.bench.peers import make
from infiniretri_core.bench.peers.units import units
from infiniretri_core.bench.realqa import real_cases
from infiniretri_core.local_writer import WRITER_OPTIONS
from infiniretri_core.writer import writer_sentences

DOC = "document"
"""The writer reads its sentences in document order (the engine's default)."""


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dump")
    ap.add_argument("reranked")
    ap.add_argument("--budget", type=int, default=400)
    ap.add_argument("--max-new-tokens", type=int, default=30)
    ap.add_argument(
        "--order",
        choices=("document", "score"),
        default=DOC,
        help="the writer's sentences in document order (the default) or by score, best last",
    )
    ap.add_argument(
        "--writer",
        default="embedded",
        help="the model that writes both systems' answers: 'embedded' (SmolLM2, the reader "
        "writing) or a name, e.g. qwen2.5-coder-1.5b (the default writer)",
    )
    args = ap.parse_args(argv)
    reader = InfiniRetri.from_pretrained(writer=None)
    chosen = None if args.writer == "embedded" else args.writer
    writer = (
        InfiniRetri.from_pretrained(chosen, writer=None, **WRITER_OPTIONS) if chosen else reader
    )
    rag = make("rag", reader)
    cases = {c.name: c for c in real_cases("all")}  # type: ignore[arg-type]
    with open(args.dump) as f:
        kept = {r["case"]: r for r in map(json.loads, f)}
    with open(args.reranked) as f:
        orders = {r["case"]: r.get("order", []) for r in map(json.loads, f) if "case" in r}
    totals = {"ours": 0.0, "rag": 0.0}
    budget = args.budget
    for name, order in orders.items():
        case, cache = cases[name], kept[name]
        rank = np.empty(len(order))
        rank[order] = -np.arange(len(order))  # the ranker's order as scores, best highest
        picked = writer_sentences(cache["tokens"], rank, budget, args.order)
        ours = [cache["texts"][i] for i in picked]
        u = units(reader, case.document)
        rag_scores = rag.scores(u.texts, case.question)
        theirs = [u.texts[i] for i in writer_sentences(u.tokens, rag_scores, budget, args.order)]
        row = {"case": name}
        for system, texts in (("ours", ours), ("rag", theirs)):
            answer = writer.write(" ".join(texts), case.question, args.max_new_tokens)
            row[system] = case.score(answer)
            row[f"{system} answer"] = answer
            totals[system] += row[system]
        print(json.dumps(row, ensure_ascii=False), flush=True)
    print(json.dumps({k: v / max(len(orders), 1) for k, v in totals.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
