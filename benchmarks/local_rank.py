"""Where a real question's gold sentence is lost: at its own chunk, or later in the cache.

    python benchmarks/local_rank.py --cases real_dev            # every layer, chunk alone
    python benchmarks/local_rank.py --cases real_dev --evictions --names pg-a-04,pg-a-05

The default report reads each gold sentence's chunk ALONE (no cache in front) with the
question and, for every layer, ranks the chunk's sentences by that layer's paper scores: the
best the attention of that layer can do before any competition with the cache. One forward
per chunk that holds a gold sentence (all layers at once), so it is cheap.

``--evictions`` reads each case as the engine does (its options) and logs, per gold
sentence, the step it was read, the step it entered the cache and the last step it stayed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from infiniretri_core import InfiniRetri, probe, scoring
from infiniretri_core.bench.cases import Case
from infiniretri_core.bench.peers.units import sentence_texts, units
from infiniretri_core.bench.realqa import real_cases
from infiniretri_core.chunking import pack
from infiniretri_core.reading import Reader, ReadSettings, StepEvent
from infiniretri_core.scoring.phrase import sentence_peaks, top_tokens

CUTS = (1, 3, 5, 10, 20)


def local_ranks(engine: InfiniRetri, case: Case) -> dict[int, list[tuple[bool, int]]]:
    """Layer -> per gold sentence: (holds a top-K token of its chunk, rank in its chunk)."""
    doc = engine.prepare(case.document)
    gold = set().union(*case.hits(sentence_texts(doc)))
    cfg = engine.config
    layers = list(range(engine.num_layers))
    parts = engine.question_parts(case.question)
    kept = {layer: scoring.KeptWeights() for layer in layers}
    found: dict[int, list[tuple[bool, int]]] = {layer: [] for layer in layers}
    for n, chunk in enumerate(pack(doc.lengths.tolist(), cfg.chunk_size)):
        ids_here = list(chunk)
        here = [i for i in ids_here if i in gold]
        if not here and n > 0:  # the first chunk sets the question weights, as a read does
            continue
        ids, ctx, q0 = parts.build(doc.tokens(ids_here))
        with engine.lock:
            rows = probe.attention_rows(engine.model, ids, q0, layers)
        owner = torch.from_numpy(np.repeat(np.arange(len(ids_here)), doc.lengths[ids_here]))
        for layer in layers:
            q = scoring.QuestionRows(
                {layer: rows[layer][0].float().cpu()}, slice(q0, None), ctx, state=kept[layer]
            )
            s = scoring.LayerSum(layer, cfg.phrase_token_num, cfg.use_question_weight).score(q)
            hit = set(owner[top_tokens(s, cfg.top_k)].tolist())
            peaks = sentence_peaks(s, owner, len(ids_here))
            for g in here:
                p = ids_here.index(g)
                found[layer].append((p in hit, int((peaks > peaks[p]).sum()) + 1))
    return found


def evictions(engine: InfiniRetri, case: Case) -> list[dict[str, Any]]:
    """Per gold sentence: the step it was read, entered the cache, and last stayed in it."""
    log: list[StepEvent] = []
    reader = Reader(
        engine.model,
        engine.tokenizer,
        engine.lock,
        engine.pipeline,
        ReadSettings.from_config(engine.config),
    )
    golds = case.hits(units(engine, case.document).texts)
    companion = engine.pipeline.scorer.companion
    extra = None if companion is None else engine.question_parts(companion)
    parts = [engine.question_parts(case.question)]
    reader.read(engine.prepare(case.document), parts, extra, None, None, on_step=log.append)
    rows = []
    for g in golds:
        inside = [e.index for e in log if set(e.questions[0].after) & g]
        rows.append(
            {
                "read": next((e.index for e in log if set(e.chunk) & g), None),
                "entered": inside[0] if inside else None,
                "last": inside[-1] if inside else None,
                "steps": len(log),
            }
        )
    return rows


def table(per_case: list[dict[int, list[tuple[bool, int]]]]) -> str:
    layers = sorted(per_case[0])
    head = "| layer | top-K | MRR | " + " | ".join(f"@{c}" for c in CUTS) + " |"
    lines = [head, "|" + "---|" * (3 + len(CUTS))]
    for layer in layers:
        pairs = [p for case in per_case for p in case[layer]]
        ranks = np.array([r for _, r in pairs])
        cells = [np.mean([t for t, _ in pairs]), np.mean(1 / ranks)]
        cells += [np.mean(ranks <= c) for c in CUTS]
        lines.append(f"| {layer} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="real_dev", help="real_dev, real_report or real_all")
    ap.add_argument("--names", help="only these cases")
    ap.add_argument("--model", help="as from_pretrained (default: the embedded model)")
    ap.add_argument("--options", default="{}", help="engine options as JSON")
    ap.add_argument("--evictions", action="store_true")
    args = ap.parse_args(argv)
    options = {"writer": None, "ranker": None, **json.loads(args.options)}  # the read alone
    engine = InfiniRetri.from_pretrained(args.model, **options)
    cases = real_cases(args.cases.removeprefix("real_"))  # type: ignore[arg-type]
    if args.names:
        cases = [c for c in cases if c.name in args.names.split(",")]
    per_case = []
    for case in cases:
        if args.evictions:
            print(json.dumps({"case": case.name, "golds": evictions(engine, case)}), flush=True)
        else:
            per_case.append(local_ranks(engine, case))
            print(json.dumps({"case": case.name, "done": True}), flush=True)
    if per_case:
        print(f"{len(cases)} cases, scoring layer {engine.layer}", file=sys.stderr)
        print(table(per_case), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
