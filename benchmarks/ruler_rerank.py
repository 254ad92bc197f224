"""Dense RULER: where the cascade loses needles, keeping or ranking, per ranker variant.

Each case is read once by the reader (``--options``, no ranker); the sentences it kept are
then ranked by each ranker variant (Qwen2.5-Coder-1.5B with ``rerank.RANKER_OPTIONS`` and the
variant's changes, e.g. another layer or ``match_weight``), and the share of needed needles
in the best 400 tokens is printed per case and summed per variant.

    python benchmarks/ruler_rerank.py --seeds 0-5 \\
        --variants '{"as is": {}, "match 0.5": {"match_weight": 0.5}, "layer 16": {"layer": 16}}'
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np
from infiniretri_core import InfiniRetri
from infiniretri_core.bench import ruler
from infiniretri_core.bench.peers.units import units, within_budget
from infiniretri_core.cascade import DEFAULT_RANKER
from infiniretri_core.engine import shared_ranker
from infiniretri_core.rerank import rank_texts
from ruler_recall import parse_seeds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="multi_query_dense")
    ap.add_argument("--seeds", default="0-5", help="e.g. 0-5 or 0,3,5")
    ap.add_argument("--length", type=int, default=8000)
    ap.add_argument("--budget", type=int, default=400, help="the writer's tokens")
    ap.add_argument("--options", default='{"scoring": "focused"}', help="the reader's, JSON")
    ap.add_argument("--variants", default='{"as is": {}}', help="ranker config changes, JSON")
    args = ap.parse_args()
    reader = InfiniRetri.from_pretrained(
        **{"ranker": None, "writer": None, **json.loads(args.options)}
    )
    base = shared_ranker(DEFAULT_RANKER)
    rankers = {
        name: InfiniRetri.from_options(base.options().replace(**changes)) if changes else base
        for name, changes in json.loads(args.variants).items()
    }
    totals = dict.fromkeys(rankers, 0.0)
    for task in args.tasks.split(","):
        for seed in parse_seeds(args.seeds):
            case = ruler.generate(task, reader.tokenizer, args.length, seed)
            u = units(reader, case.document)
            need = [i for i, t in enumerate(u.texts) if case.recall(t) > 0]
            kept = sorted(
                {e.sentence for e in reader.select(case.document, case.question).evidence}
            )
            row: dict[str, Any] = {"task": task, "seed": seed}
            row["kept"] = sum(i in kept for i in need) / len(need)
            for name, ranker in rankers.items():
                scores = rank_texts(ranker, [u.texts[i] for i in kept], case.question)
                order = [kept[j] for j in np.argsort(-scores, kind="stable")]
                position = {s: k for k, s in enumerate(order)}
                chosen = set(within_budget(u, order, args.budget))
                share = sum(i in chosen for i in need) / len(need)
                row[name] = {"ranks": [position.get(i, -1) for i in need], "share": share}
                totals[name] += share
            print(json.dumps(row), flush=True)
    print(json.dumps({"needles in the budget, summed over cases": totals}))


if __name__ == "__main__":
    main()
