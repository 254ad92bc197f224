"""Retrieval recall on RULER-style cases at fixed token budgets: ours vs BM25 vs embedding RAG.

No writer: each system ranks the engine's own sentences (ours by the score of the sentences
its reading kept, the peers by BM25 or cosine over every sentence), fills a budget of 64,
128, 256 and 512 tokens and ours' cache size with whole sentences, best first, and scores
the share of needed needle sentences inside. All systems run in this one process on the
same cases, so the recall columns compare directly (seconds are ours' reading only).

    python benchmarks/ruler_recall.py --seeds 0-9 --systems ours --out results/recall
    python benchmarks/ruler_recall.py --seeds 0-9 --match-weight 2 --out results/recall-match
    python benchmarks/ruler_recall.py --tasks multi_query_dense --seeds 0-2 --systems ours \
        --options '{"scoring": "focused", "ranker": "auto"}' --out results/recall-cascade

With a ranker (``--options``), ours' ranking is the ranker's order of the read's cache.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from infiniretri_core import InfiniRetri
from infiniretri_core.bench import ruler
from infiniretri_core.bench.peers.units import units, within_budget

BUDGETS = (64, 128, 256, 512)
TASKS = "multi_key,multi_query,multi_key_dense,multi_key_uuid_dense,multi_query_dense"


def parse_seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def run_case(
    engine: InfiniRetri, peers: dict[str, Any], task: str, length: int, seed: int
) -> dict[str, Any]:
    case = ruler.generate(task, engine.tokenizer, length, seed)
    u = units(engine, case.document)
    need = [i for i, t in enumerate(u.texts) if case.recall(t) > 0]
    t0 = time.perf_counter()
    sel = engine.select(case.document, case.question)
    row: dict[str, Any] = {"task": task, "seed": seed, "seconds": time.perf_counter() - t0}
    rankings = {"ours": [e.sentence for e in sorted(sel.evidence, key=lambda e: -e.score)]}
    if "bm25" in peers:
        rankings["bm25"] = np.argsort(
            -peers["bm25"].scores(u.texts, case.question), kind="stable"
        ).tolist()
    if "rag" in peers:
        rag = peers["rag"].scores(u.texts, case.question)
        rankings["rag"] = np.argsort(-rag, kind="stable").tolist()
    row["cache_tokens"] = sel.tokens_kept
    for name, ranking in rankings.items():
        position = {s: k for k, s in enumerate(ranking)}
        row[f"{name}_ranks"] = [position.get(i, -1) for i in need]  # -1: ours did not keep it
        for budget in (*BUDGETS, sel.tokens_kept):
            chosen = set(within_budget(u, ranking, budget))
            key = "cache" if budget == sel.tokens_kept and budget not in BUDGETS else str(budget)
            row[f"{name}@{key}"] = sum(i in chosen for i in need) / len(need)
    return row


def summary(rows: list[dict[str, Any]], systems: list[str]) -> str:
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_task[r["task"]].append(r)
    cols = [*map(str, BUDGETS), "cache"]
    lines = [
        "| task | system | " + " | ".join(f"recall @{c}" for c in cols) + " | MRR |",
        "|---" * (len(cols) + 3) + "|",
    ]
    for task, rs in by_task.items():
        for name in systems:
            cells = [f"{np.mean([r[f'{name}@{c}'] for r in rs]):.2f}" for c in cols]
            ranks = [k for r in rs for k in r[f"{name}_ranks"]]
            mrr = np.mean([0.0 if k < 0 else 1 / (1 + k) for k in ranks])
            lines.append(
                f"| {task} ({len(rs)}) | {name} | " + " | ".join(cells) + f" | {mrr:.2f} |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default=TASKS)
    ap.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 0,3,5")
    ap.add_argument("--length", type=int, default=8000)
    ap.add_argument("--systems", default="ours,bm25,rag")
    ap.add_argument("--match-weight", type=float, default=0.0)
    ap.add_argument(
        "--options", default="{}", help="engine options as JSON (no ranker unless named)"
    )
    ap.add_argument("--out", default="results/ruler-recall")
    args = ap.parse_args()
    systems = args.systems.split(",")
    options = {"match_weight": args.match_weight, "ranker": None, **json.loads(args.options)}
    engine = InfiniRetri.from_pretrained(writer=None, **options)
    peers: dict[str, Any] = {}
    if "bm25" in systems:
        from infiniretri_core.bench.peers.bm25 import BM25

        peers["bm25"] = BM25(engine)
    if "rag" in systems:
        from infiniretri_core.bench.peers.rag import EmbeddingRAG

        peers["rag"] = EmbeddingRAG(engine)
    rows = []
    for task in args.tasks.split(","):
        for seed in parse_seeds(args.seeds):
            rows.append(run_case(engine, peers, task, args.length, seed))
            print(
                json.dumps(
                    {k: v for k, v in rows[-1].items() if k.endswith("ranks")}
                    | {"task": task, "seed": seed}
                ),
                flush=True,
            )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = {
        "length": args.length,
        "match_weight": args.match_weight,
        "options": options,
        "layer": engine.layer,
        "dtype": str(engine.model.dtype),
    }
    (out / "recall.json").write_text(json.dumps({"config": config, "rows": rows}, indent=1))
    table = summary(rows, systems)
    (out / "recall.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
