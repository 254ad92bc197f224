"""Chunk-local ranking of real questions' gold sentences by query-focused heads.

Each gold sentence's chunk is read alone with the question and a null question (one
forward, every layer); every head's focused scores (``scoring/focused.py``) rank the chunk's
sentences. Heads are chosen on ``--choose`` (top ``--count`` by mean reciprocal rank) and the
chosen set is measured on ``--measure``, beside
MiniLM ranking the same chunk's sentences (the RAG peer's embedder) and each head alone.

    python benchmarks/head_rank.py --choose calibration --measure dev --count 1,2,4,8
"""

from __future__ import annotations

import argparse
import functools
import json
import pickle
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from infiniretri_core import InfiniRetri
from infiniretri_core.bench.peers import make
from infiniretri_core.bench.realqa import questions, text
from infiniretri_core.calibration.heads import (
    choose,
    gold_chunks,
    gold_sentences,
    head_scores,
    reciprocal_ranks,
)

Scored = list[tuple[np.ndarray, tuple[int, ...], list[str]]]
"""Per gold chunk: (layer, head, sentence) scores, gold positions, sentence texts."""


def scored(engine: InfiniRetri, split: str, null: str, cut: float) -> Scored:
    out: Scored = []
    null_parts = engine.question_parts(null)
    prepared = functools.lru_cache(maxsize=1)(lambda name: engine.prepare(text(name)))
    for q in questions(split):  # type: ignore[arg-type]
        doc = prepared(q.document)
        gold = gold_sentences(doc, [(g.start, g.end) for g in q.gold])
        parts = engine.question_parts(q.question)
        for chunk in gold_chunks(doc, gold, engine.config.chunk_size):
            with engine.lock:
                s = head_scores(engine.model, parts, null_parts, chunk, cut)
            texts = [engine.tokenizer.decode(t) for t in chunk.sentences]
            out.append((s, chunk.gold, [q.question, *texts]))
        print(json.dumps({"question": q.id}), file=sys.stderr, flush=True)
    return out


def mrr(data: Scored, heads: Sequence[tuple[int, int]]) -> tuple[float, float]:
    """MRR and top-10 share of the gold sentences when ``heads``' scores are added."""
    rr = np.concatenate(
        [reciprocal_ranks(sum(s[h] for h in heads), gold) for s, gold, _ in data]  # type: ignore[misc]
    )
    return float(rr.mean()), float((rr >= 0.1).mean())


def minilm(engine: InfiniRetri, data: Scored) -> tuple[float, float]:
    rag = make("rag", engine)
    rr = []
    for _, gold, texts in data:
        scores = rag.scores(texts[1:], texts[0])
        rr.extend(reciprocal_ranks(np.asarray(scores), gold))
    r = np.asarray(rr)
    return float(r.mean()), float((r >= 0.1).mean())


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--choose", default="dev")
    ap.add_argument("--measure", default="dev")
    ap.add_argument("--count", default="1,2,4,8")
    ap.add_argument("--null", default="N/A")
    ap.add_argument("--cut", type=float, default=2.0)
    ap.add_argument("--model")
    ap.add_argument("--out")
    ap.add_argument("--keep", default="/tmp/head_rank", help="folder of cached scores")
    args = ap.parse_args(argv)
    engine = InfiniRetri.from_pretrained(args.model, writer=None)

    def load(split: str) -> Scored:
        """Scores of a split, kept in ``--keep`` between runs (they take minutes)."""
        name = f"{split}-{args.model or 'default'}-{args.null}-{args.cut}"
        path = Path(args.keep) / (re.sub(r"[^\w.-]", "_", name) + ".pkl")
        if path.is_file():
            return pickle.loads(path.read_bytes())  # type: ignore[no-any-return]
        data = scored(engine, split, args.null, args.cut)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(data))
        return data

    chosen_on = load(args.choose)
    measured = load(args.measure)
    rr = np.concatenate([reciprocal_ranks(s, g) for s, g, _ in chosen_on])
    rows = {"minilm": minilm(engine, measured)}
    for k in map(int, args.count.split(",")):
        heads = choose(rr, k)
        rows[f"top{k} {heads}"] = mrr(measured, heads)
    for name, (m, top10) in rows.items():
        print(f"| {name} | {m:.3f} | {top10:.3f} |")
    if args.out:
        np.savez_compressed(args.out, rr=rr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
