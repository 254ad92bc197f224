"""Which attention heads rank two-hop and needle sentences best: the search behind ``heads``.

Each probe is one forward pass over a short document, every layer captured: synthetic
two-hop documents (``bench.multihop``, ~1.5k tokens: the bridge sentence earlier in the same
context, the answer sentence later; with and without distractors) and the calibration's
needle probes. Every (layer, head) is scored by the reciprocal rank of the answer sentence,
of the bridge sentence and of the needle under the paper's scoring of that head alone
(smoothing, question weights); the paper's layer sums are printed alongside. A head set is
then grown greedily on the first ``--train`` probes (objective: the mean of the three mean
reciprocal ranks) and every step is checked on the held-out probes.

    python benchmarks/head_search.py --train 12 --test 8 --steps 8 --out docs/results/heads
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
import torch
from infiniretri_core import InfiniRetri, probe, scoring
from infiniretri_core.bench import multihop
from infiniretri_core.bench.peers.units import sentence_texts
from infiniretri_core.calibration.probes import SETTINGS, facts_and_question, probe_sentences
from infiniretri_core.prompt import prompt_parts

Probe = tuple[np.ndarray, np.ndarray, dict[str, int]]
"""Per-head unit-sum token scores (L, H, T), token -> sentence, target sentence by kind."""


def _scores(engine: InfiniRetri, sentences: list[list[int]], question: str) -> Probe:
    tok, cfg = engine.tokenizer, engine.config
    parts = prompt_parts(tok, cfg.prompt_template, question)
    ids, ctx, q0 = parts.build([t for s in sentences for t in s])
    layers = list(range(engine.num_layers))
    rows = probe.attention_rows(engine.model, ids, q0, layers)
    heads = rows[0].shape[1]
    out = np.zeros((len(layers), heads + 1, ctx.stop - ctx.start), dtype=np.float32)
    phrase, weigh = cfg.phrase_token_num, cfg.use_question_weight
    for layer in layers:
        q = scoring.QuestionRows({layer: rows[layer][0].cpu()}, slice(q0, None), ctx)
        for h in range(heads):
            out[layer, h] = scoring.HeadSum(((layer, h),), phrase, weigh).score(q).numpy()
        s = scoring.LayerSum(layer, phrase, weigh).score(q)  # the last slot: the paper's
        out[layer, heads] = (s / s.sum().clamp_min(1e-12)).numpy()
    owner = np.repeat(np.arange(len(sentences)), [len(s) for s in sentences])
    return out, owner, {}


def probes(engine: InfiniRetri, first: int, n: int) -> list[Probe]:
    tok = engine.tokenizer
    found: list[Probe] = []
    for s in range(first, first + n):
        task = ("two_hop", "two_hop_distractors")[s % 2]
        case = multihop.generate(task, tok, 1_500, 100 + s)
        doc = engine.prepare(case.document)
        sentences = [doc.tokens([i]) for i in range(len(doc.sentences))]
        texts = [" ".join(t.split()) for t in sentence_texts(doc)]
        bridge, answer = (texts.index(" ".join(n.split())) for n in case.needles)
        sc, owner, _ = _scores(engine, sentences, case.question)
        found.append((sc, owner, {"answer": answer, "bridge": bridge}))
        rng = random.Random(1_000 + s)
        facts, question = facts_and_question(rng, s, SETTINGS.distractors + 1)
        sentences, at = probe_sentences(tok, rng, facts, ((s * 7) % 10 + 0.5) / 10)
        sc, owner, _ = _scores(engine, sentences, question)
        found.append((sc, owner, {"needle": at}))
    return found


def mrr(data: list[Probe], heads: list[tuple[int, int]]) -> dict[str, float]:
    """Mean reciprocal rank per target kind when ``heads``' unit-sum scores are added."""
    ranks: dict[str, list[float]] = {"answer": [], "bridge": [], "needle": []}
    for sc, owner, targets in data:
        total = sum(sc[layer, head] for layer, head in heads)
        peaks = np.full(owner.max() + 1, -np.inf)
        np.maximum.at(peaks, owner, total)
        for kind, at in targets.items():
            ranks[kind].append(1.0 / (1 + int((peaks > peaks[at]).sum())))
    return {k: round(float(np.mean(v)), 3) for k, v in ranks.items()}


def objective(m: dict[str, float]) -> float:
    return (m["answer"] + m["bridge"] + m["needle"]) / 3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--train", type=int, default=12, help="two-hop + needle probe pairs to fit")
    ap.add_argument("--test", type=int, default=8, help="held-out probe pairs")
    ap.add_argument("--steps", type=int, default=8, help="heads to add greedily")
    ap.add_argument("--out", default="results/heads")
    args = ap.parse_args()
    torch.manual_seed(0)
    engine = InfiniRetri.from_pretrained(layer=15, writer=None)
    train = probes(engine, 0, args.train)
    test = probes(engine, args.train, args.test)
    n_layers, n_slots = train[0][0].shape[:2]
    layer_sums = {}
    for layer in range(n_layers):
        whole = [(layer, n_slots - 1)]
        layer_sums[layer] = {"train": mrr(train, whole), "test": mrr(test, whole)}
    candidates = [(layer, h) for layer in range(n_layers) for h in range(n_slots - 1)]
    chosen: list[tuple[int, int]] = []
    steps = []
    for _ in range(args.steps):
        best = max(
            (c for c in candidates if c not in chosen),
            key=lambda c: objective(mrr(train, [*chosen, c])),
        )
        chosen.append(best)
        steps.append(
            {"heads": list(chosen), "train": mrr(train, chosen), "test": mrr(test, chosen)}
        )
        print(json.dumps(steps[-1]), flush=True)
    for layer, m in layer_sums.items():
        print("layer sum", layer, json.dumps(m))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "head_search.json").write_text(
        json.dumps({"args": vars(args), "layer_sums": layer_sums, "greedy": steps}, indent=1)
    )


if __name__ == "__main__":
    main()
