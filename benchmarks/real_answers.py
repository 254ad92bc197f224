"""Answers with the same writer from the same budget: the cascade's ranking of its cache
against MiniLM RAG's ranking of the whole document.

For each case of a ``real_keep.py --dump`` file and its ``rerank_cache.py`` rows (which carry
the ranker's order), the embedded model (or ``--writer``) writes an answer (greedy,
``--max-new-tokens``) from the best sentences within ``--budget`` tokens of each ranking, in
document order, chosen by the engine's own writer policy (``writer.writer_sentences``); an
answer scores 1 if it holds one of the expected answers.

    python benchmarks/real_answers.py /tmp/kept.jsonl /tmp/reranked.txt --budget 400

Two layouts of the same evidence, for both systems alike (measured, not the engine's):
``--window N`` gives each ranked sentence its N neighbours on either side, inside the same
budget (a "sentence window"); ``--breaks`` puts a paragraph break between sentences that
are not adjacent in the document.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from infiniretri_core import InfiniRetri
from infiniretri_core.bench.peers import make
from infiniretri_core.bench.peers.units import Units, units
from infiniretri_core.bench.realqa import real_cases
from infiniretri_core.local_writer import WRITER_OPTIONS
from infiniretri_core.writer import writer_sentences

DOC = "document"
"""The writer reads its sentences in document order (the engine's default)."""


def windows(ranking: Sequence[int], lengths: np.ndarray, budget: int, width: int) -> list[int]:
    """The best-ranked sentences, each with ``width`` neighbours either side, that fit
    ``budget`` tokens, in document order (a window that does not fit is skipped)."""
    chosen: set[int] = set()
    total = 0
    for i in ranking:
        if i in chosen:
            continue
        span = [j for j in range(i - width, i + width + 1) if 0 <= j < len(lengths)]
        new = [j for j in span if j not in chosen]
        n = sum(int(lengths[j]) for j in new)
        if total + n <= budget:
            chosen.update(new)
            total += n
    return sorted(chosen)


def layout(texts: Sequence[str], ids: Sequence[int], breaks: bool) -> str:
    """The sentences ``ids`` as one text: a space between them, or with ``breaks`` a
    paragraph break where the document skips."""
    out: list[str] = []
    for k, i in enumerate(ids):
        if k:
            out.append("\n\n" if breaks and i != ids[k - 1] + 1 else " ")
        out.append(texts[i])
    return "".join(out)


def picks(
    texts: Sequence[str],
    lengths: np.ndarray,
    scores: np.ndarray,
    args: argparse.Namespace,
) -> str:
    """The text the writer reads from sentences scored ``scores`` (best highest): the
    engine's writer policy (``writer_sentences``), or ``--window``'s."""
    if args.window:
        ranking = [int(i) for i in np.argsort(-scores, kind="stable")]
        ids = windows(ranking, lengths, args.budget, args.window)
    else:
        ids = writer_sentences(lengths, scores, args.budget, args.order)
    return layout(texts, ids, args.breaks)


def ours_text(
    u: Units, cache: dict[str, Any], order: Sequence[int], args: argparse.Namespace
) -> str:
    """The cascade's text: from the cache itself, or with ``--window`` from the document's
    sentences around the cache's (mapped by text; a sentence that occurs twice maps to one
    place)."""
    if args.window:
        index = {t: i for i, t in enumerate(u.texts)}
        ranked = [index[cache["texts"][i]] for i in order]
        return layout(u.texts, windows(ranked, u.tokens, args.budget, args.window), args.breaks)
    rank = np.empty(len(order))
    rank[list(order)] = -np.arange(len(order))  # the ranker's order as scores, best highest
    return picks(cache["texts"], np.asarray(cache["tokens"]), rank, args)


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
    ap.add_argument("--window", type=int, default=0, help="neighbours either side (0: none)")
    ap.add_argument("--breaks", action="store_true", help="a paragraph break where text skips")
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
    cases = {c.name: c for c in real_cases("all")}
    with open(args.dump) as f:
        kept = {r["case"]: r for r in map(json.loads, f)}
    with open(args.reranked) as f:
        orders = {r["case"]: r.get("order", []) for r in map(json.loads, f) if "case" in r}
    totals = {"ours": 0.0, "rag": 0.0}
    for name, order in orders.items():
        case = cases[name]
        u = units(reader, case.document)
        theirs = picks(u.texts, u.tokens, rag.scores(u.texts, case.question), args)
        row = {"case": name}
        for system, text in (("ours", ours_text(u, kept[name], order, args)), ("rag", theirs)):
            answer = writer.write(text, case.question, args.max_new_tokens)
            row[system] = case.score(answer)
            row[f"{system} answer"] = answer
            totals[system] += row[system]
        print(json.dumps(row, ensure_ascii=False), flush=True)
    print(json.dumps({k: v / max(len(orders), 1) for k, v in totals.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
