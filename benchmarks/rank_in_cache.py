"""Ranking inside the cache, apart from keeping: for each case, is the gold kept, at which rank
among the kept sentences (MRR), and is it inside a writer budget of 128 / 400 tokens or the
whole cache, under several ways of ranking the same cache; BM25 and MiniLM RAG ranking every
sentence of the document, at the same budgets.

    python benchmarks/rank_in_cache.py --cases real_dev [--options '{"match_weight": 2}']
    python benchmarks/rank_in_cache.py --cases two_hop,two_hop_reverse --seeds 0,1 --length 8k

Rankings of our cache (one read per case; the re-scores are extra forwards of the cache):
``peak`` the read's own (each sentence's peak score in the last step), ``rescore`` one more
forward of the final cache (document order) + question, ``both`` the mean normalised rank
of that forward and of one over the cache in reverse order (cancels the bias of position),
``fused`` ``peak`` fused with BM25 over the cached sentences (reciprocal ranks).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from infiniretri_core import InfiniRetri, probe, scoring
from infiniretri_core.bench.cases import Case
from infiniretri_core.bench.compare import plan
from infiniretri_core.bench.peers import make
from infiniretri_core.bench.peers.units import units
from infiniretri_core.scoring.phrase import sentence_peaks

BUDGETS = (128, 400, None)


def measure(
    case: Case, texts: Sequence[str], tokens: Sequence[int], ranking: Sequence[int]
) -> dict[str, Any]:
    """MRR of each needle in ``ranking`` (positions into texts), recall at each budget."""
    hits = case.hits(texts)
    rr = []
    for h in hits:
        rank = next((r for r, i in enumerate(ranking, 1) if i in h), None)
        rr.append(0.0 if rank is None else 1.0 / rank)
    row: dict[str, Any] = {
        "mrr": float(np.mean(rr)),
        "kept": float(np.mean([bool(h & set(ranking)) for h in hits])),
    }
    for b in BUDGETS:
        chosen, total = [], 0
        for i in ranking:
            if b is None or total + tokens[i] <= b:
                chosen.append(i)
                total += tokens[i]
        row[f"r{b or 'all'}"] = float(np.mean([bool(h & set(chosen)) for h in hits]))
    return row


def _rescore(engine: InfiniRetri, doc: Any, question: str, ids: list[int]) -> np.ndarray:
    """Peak scores of sentences ``ids`` read in that order in one forward with the question."""
    parts = engine.question_parts(question)
    input_ids, ctx, q0 = parts.build(doc.tokens(ids))
    with engine.lock:
        rows = probe.attention_rows(engine.model, input_ids, q0, [engine.layer])
    q = scoring.QuestionRows({engine.layer: rows[engine.layer][0].cpu()}, slice(q0, None), ctx)
    cfg = engine.config
    s = scoring.LayerSum(engine.layer, cfg.phrase_token_num, cfg.use_question_weight).score(q)
    owner = torch.from_numpy(np.repeat(np.arange(len(ids)), doc.lengths[ids]))
    return sentence_peaks(s.float(), owner, len(ids)).numpy()


def _ranks(scores: np.ndarray) -> np.ndarray:
    r = np.empty(len(scores))
    r[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
    return r


def run(engine: InfiniRetri, cases: list[Case], bm25: Any, rag: Any) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        t0 = time.perf_counter()
        doc = engine.prepare(case.document)
        sel = engine.select(case.document, case.question)
        ids = [e.sentence for e in sel.evidence]
        texts = [e.text for e in sel.evidence]
        tokens = [int(doc.lengths[i]) for i in ids]
        peak = np.array([e.score for e in sel.evidence])
        seconds = time.perf_counter() - t0
        order = {"peak": list(np.argsort(-peak, kind="stable"))}
        fwd = _rescore(engine, doc, case.question, ids)
        rev = _rescore(engine, doc, case.question, ids[::-1])[::-1]
        order["rescore"] = list(np.argsort(-fwd, kind="stable"))
        both = _ranks(fwd) + _ranks(rev)
        order["both"] = list(np.argsort(both, kind="stable"))
        lex = bm25.scores(texts, case.question) if texts else np.zeros(0)
        fused = 1 / (60 + _ranks(peak)) + 1 / (60 + _ranks(lex))
        order["fused"] = list(np.argsort(-fused, kind="stable"))
        bothlex = 1 / (60 + _ranks(-both)) + 1 / (60 + _ranks(lex))
        order["both+lex"] = list(np.argsort(-bothlex, kind="stable"))
        row: dict[str, Any] = {"case": case.name, "task": case.task, "seconds": round(seconds, 1)}
        for name, ranking in order.items():
            row[name] = measure(case, texts, tokens, [int(i) for i in ranking])
        u = units(engine, case.document)
        for peer in (bm25, rag):
            ranking = np.argsort(-peer.scores(u.texts, case.question), kind="stable").tolist()
            row[peer.name] = measure(case, u.texts, [int(t) for t in u.tokens], ranking[:400])
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def summary(rows: list[dict[str, Any]]) -> str:
    systems = [k for k in rows[0] if isinstance(rows[0][k], dict)]
    lines = ["| ranking | kept | MRR | @128 | @400 | @all |", "|---|---|---|---|---|---|"]
    for s in systems:
        cells = [np.mean([r[s][k] for r in rows]) for k in ("kept", "mrr", "r128", "r400", "rall")]
        lines.append(f"| {s} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", required=True, help="real_dev, real_report or bench tasks")
    ap.add_argument("--length", default="8k")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--options", default="{}", help="engine options as JSON")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--names", help="only these cases, e.g. pg-a-04,pg-a-05")
    args = ap.parse_args(argv)
    options = {"writer": None, "ranker": None, **json.loads(args.options)}  # the read alone
    engine = InfiniRetri.from_pretrained(None, **options)
    cases: list[Case] = []
    for name in args.cases.split(","):
        if name.startswith("real_"):
            from infiniretri_core.bench.realqa import real_cases

            cases += real_cases(name.removeprefix("real_"))  # type: ignore[arg-type]
        else:
            length = int(args.length.lower().replace("k", "000"))
            seeds = [int(s) for s in args.seeds.split(",")]
            cases += [s.build(engine.tokenizer) for s in plan([length], [name], seeds=seeds)]
    if args.names:
        cases = [c for c in cases if c.name in args.names.split(",")]
    cases = cases[: args.limit]
    rows = run(engine, cases, make("bm25", engine), make("rag", engine))
    print(summary(rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
