"""``heads="auto"``: pick query-focused heads per model on real questions.

Each calibration question's gold sentences are ranked among the sentences of their own
chunk (read alone, no cache: what a head can do before any competition with the cache) by
every head of every global-attention layer under the focused-heads scoring
(:class:`FocusedHeads`: question minus null question, cut, per sentence). The question and
the null question ride in one forward as two blocks over the same chunk, every layer
captured at once. The ``count`` heads of best mean reciprocal rank win.

The questions are real ones written over offline texts that the evaluation set does not use
(``data/calibqa.json``, ``realdocs.py``); synthetic needles would choose heads that match
words, which real, paraphrased questions do not share with their answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import families, probe, realdocs
from ..chunking import pack
from ..document import PreparedDocument, prepare
from ..prompt import PromptParts, reading_parts
from ..reading import step as steps
from ..scoring.focused import cut_below, difference, per_sentence
from ..scoring.heads import Head
from .probing import Probing
from .store import cache_path, cached

VERSION = 1
"""Version of the heads calibration's record (bump it when its method changes)."""


@dataclass(frozen=True)
class HeadChoice:
    """What the choice depends on besides the model and prompt (all of it in the cache key)."""

    null_question: str
    cut: float
    count: int
    """Heads chosen."""
    chunk_size: int
    max_sentence_tokens: int
    abbreviation_chars: int


@dataclass(frozen=True)
class GoldChunk:
    """One chunk that holds gold sentences, as token ids per sentence."""

    sentences: list[list[int]]
    gold: tuple[int, ...]
    """Positions of the gold sentences among :attr:`sentences`."""


def gold_sentences(doc: PreparedDocument, spans: Sequence[tuple[int, int]]) -> set[int]:
    """Sentences of ``doc`` (trimmed spans) that overlap any of the character ``spans``."""
    found = set()
    for i in range(len(doc.sentences)):
        start, end = doc.span(i)
        if any(start < e and s < end for s, e in spans):
            found.add(i)
    return found


def gold_chunks(doc: PreparedDocument, gold: set[int], chunk_size: int) -> list[GoldChunk]:
    """The chunks a read of ``doc`` makes that hold a gold sentence."""
    out = []
    for chunk in pack(doc.lengths.tolist(), chunk_size):
        ids = list(chunk)
        here = tuple(p for p, i in enumerate(ids) if i in gold)
        if here:
            out.append(GoldChunk([doc.tokens([i]) for i in ids], here))
    return out


def head_scores(
    model: torch.nn.Module, question: PromptParts, null: PromptParts, chunk: GoldChunk, cut: float
) -> np.ndarray:
    """(layer, head, sentence) focused scores of ``chunk``'s sentences under every head alone
    (layers that are not global: 0). A set of heads scores a sentence by the sum of its heads'
    scores (each head is cut on its own)."""
    context = [t for s in chunk.sentences for t in s]
    ctx = slice(len(question.prefix), len(question.prefix) + len(context))
    blocks = [steps.Block(question, ctx), steps.Block(null, ctx)]
    inp = steps.build(question.prefix, context, blocks)
    layers = families.global_attention_layers(model)
    rows = probe.attention_rows(model, inp.ids, inp.query_start, layers, inp.mask, inp.positions)
    (a0, a1), (b0, b1) = ((s - inp.query_start, e - inp.query_start) for s, e in inp.spans)
    sizes = [len(s) for s in chunk.sentences]
    owner = torch.from_numpy(np.repeat(np.arange(len(sizes)), sizes))
    n_layers = len(families.decoder_layers(model))
    out = np.zeros((n_layers, families.num_heads(model), len(sizes)), dtype=np.float32)
    for layer in layers:
        r = rows[layer][0].float().cpu()  # (H, Q, K)
        d = cut_below(difference(r[:, a0:a1], r[:, b0:b1], ctx), cut)
        out[layer] = per_sentence(d, owner).numpy()
    return out


def reciprocal_ranks(scores: np.ndarray, gold: Sequence[int]) -> np.ndarray:
    """(gold, ...) reciprocal rank of each gold sentence under ``scores`` (..., sentence)."""
    return np.stack([1.0 / (1 + (scores > scores[..., at : at + 1]).sum(axis=-1)) for at in gold])


def choose(rr: np.ndarray, count: int) -> tuple[Head, ...]:
    """The ``count`` (layer, head) pairs of best mean reciprocal rank over ``rr``'s first axis
    (ties: the earlier layer, then head)."""
    mean = rr.mean(axis=0)
    order = np.argsort(-mean.ravel(), kind="stable")[:count]
    return tuple((int(i // mean.shape[1]), int(i % mean.shape[1])) for i in order)


def calibrate_heads(probing: Probing, choice: HeadChoice) -> dict[str, Any]:
    """The record of the heads chosen on the calibration set (``realdocs``, ``calibration``)."""
    tok = probing.tokenizer
    null = reading_parts(tok, probing.template, choice.null_question, choice.chunk_size)
    ranks = []
    for name in [d.name for d in realdocs.documents("calibration")]:
        doc = prepare(
            realdocs.text(name), tok, choice.max_sentence_tokens, choice.abbreviation_chars
        )
        for q in (q for q in realdocs.questions("calibration") if q.document == name):
            gold = gold_sentences(doc, [(g.start, g.end) for g in q.gold])
            parts = reading_parts(tok, probing.template, q.question, choice.chunk_size)
            for chunk in gold_chunks(doc, gold, choice.chunk_size):
                with probing.lock:
                    scores = head_scores(probing.model, parts, null, chunk, choice.cut)
                ranks.append(reciprocal_ranks(scores, chunk.gold))
    rr = np.concatenate(ranks)
    heads = choose(rr, choice.count)
    mean = rr.mean(axis=0)
    return {
        "version": VERSION,
        "heads": [list(h) for h in heads],
        "mrr": {f"{layer}.{head}": round(float(mean[layer, head]), 4) for layer, head in heads},
        "gold_sentences": int(rr.shape[0]),
    }


def calibrated_heads(probing: Probing, choice: HeadChoice) -> tuple[Head, ...]:
    """The cached choice for this model, computed (and cached) on first use."""
    return cached(
        heads_cache_path(probing, choice),
        VERSION,
        lambda: calibrate_heads(probing, choice),
        lambda record: tuple((int(a), int(b)) for a, b in record["heads"]),
    )


def heads_cache_path(probing: Probing, choice: HeadChoice) -> Path:
    """Beside the layer calibration, keyed also by ``choice`` and the calibration set."""
    key = json.dumps(
        {
            "choice": vars(choice),
            "version": VERSION,
            "set": [d.sha256 for d in realdocs.documents("calibration")],
            "questions": [q.id for q in realdocs.questions("calibration")],
        },
        sort_keys=True,
    )
    path = cache_path(probing)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return path.with_name(f"{path.stem}-heads-{digest}.json")
