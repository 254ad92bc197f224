"""The null-question option: a second, content-free question block over the same step."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from infiniretri_core import ConfigError, InfiniRetri, haystack, probe
from infiniretri_core.prompt import prompt_parts
from infiniretri_core.reading import step


@pytest.mark.parametrize("bad", ["", "   ", 3, b"N/A"])
def test_null_question_must_be_text(engine: InfiniRetri, bad: object) -> None:
    with pytest.raises(ConfigError, match="null_question"):
        InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, null_question=bad)


def test_question_rows_equal_the_single_read(fp32_engine: InfiniRetri) -> None:
    """The question block sees what a single read shows it: the null block is invisible."""
    engine = fp32_engine
    tok = engine.tokenizer
    parts = prompt_parts(tok, engine.config.prompt_template, haystack.QUESTION)
    null_parts = prompt_parts(tok, engine.config.prompt_template, "N/A")
    context = tok(haystack.NEEDLE + " It rained all week.", add_special_tokens=False)["input_ids"]
    ctx = slice(len(parts.prefix), len(parts.prefix) + len(context))
    cols = torch.arange(ctx.start, ctx.stop)  # columns, not a slice: the masked path
    both = step.build(
        parts.prefix, context, [step.Block(parts, cols), step.Block(null_parts, cols)]
    )
    (q0, q1), (n0, n1) = both.spans
    layer = engine.layer
    summed = probe.attention_rows(engine.model, both.ids, q0, [layer], both.mask, both.positions)[
        layer
    ][0].sum(dim=0)
    rows, null_rows = summed[: q1 - q0], summed[n0 - q0 : n1 - q0]
    ids, single_ctx, query_start = parts.build(context)
    single = probe.attention_rows(engine.model, ids, query_start, [engine.layer])[engine.layer]
    single = single[0].sum(dim=0)
    assert ctx == single_ctx
    torch.testing.assert_close(rows[:, : ids.shape[1]], single, atol=1e-4, rtol=0)
    assert rows[:, ids.shape[1] :].abs().max() == 0  # the null block is never attended to
    assert not torch.allclose(null_rows[:, ctx], rows[-null_rows.shape[0] :, ctx])


def test_needle_kept_with_the_null_question(engine: InfiniRetri) -> None:
    calibrated = InfiniRetri(
        engine.model, engine.tokenizer, layer=engine.layer, null_question="N/A"
    )
    document = haystack.build(engine.tokenizer, 4000, 0.3)
    sel = calibrated.select(document, haystack.QUESTION)
    assert any("Dolores Park" in e.text for e in sel.evidence)
    assert sel.num_chunks >= 4 and sel.tokens_processed > sel.tokens_read


def _box(rows: torch.Tensor, width: int) -> torch.Tensor:
    """Each column's sum over the ``width`` columns around it (``width // 2`` before it)."""
    n = rows.shape[1]
    spans = [(max(0, i - width // 2), min(n, i - width // 2 + width)) for i in range(n)]
    return torch.stack([rows[:, a:b].sum(dim=1) for a, b in spans], dim=1)


def test_null_difference_scores_equal_a_hand_computation(fp32_engine: InfiniRetri) -> None:
    """One step, every sentence kept: each evidence score is the sentence's peak of (the
    question's phrase scores minus the null question's, each over its rows' total weight),
    over the best peak, computed here from each question read alone (what its block sees).
    The paper's scoring keeps the needle of a 4k read too; these scores tell them apart."""
    base = fp32_engine
    engine = InfiniRetri(
        base.model,
        base.tokenizer,
        layer=base.layer,
        null_question="N/A",
        top_k=10_000,
        max_cache_tokens=None,
    )
    document = " ".join(
        [
            "The committee met on a quiet Sunday.",
            haystack.NEEDLE,
            "November 2005.",
            "It rained for most of the week, and the river rose.",
            "The librarian carried a stack of letters to the station.",
        ]
    )
    sel = engine.select(document, haystack.QUESTION)
    doc = engine.prepare(document)
    assert sel.num_chunks == 1 and [e.sentence for e in sel.evidence] == list(
        range(len(doc.sentences))
    )

    layer, width = engine.layer, engine.config.phrase_token_num
    tok, template = engine.tokenizer, engine.config.prompt_template
    context = doc.ids.tolist()

    def scores(question: str) -> torch.Tensor:
        ids, ctx, start = prompt_parts(tok, template, question).build(context)
        rows = probe.attention_rows(engine.model, ids, start, [layer])[layer][0].sum(dim=0)
        rows = rows.double()  # (question-to-end rows, all columns), heads summed
        weight = rows[:, start:].sum(dim=1) ** 2  # each row's mass on the question, squared
        return (_box(rows[:, ctx], width) * weight[:, None]).sum(dim=0) / weight.sum()

    token = scores(haystack.QUESTION) - scores("N/A")
    owner = np.repeat(np.arange(len(doc.sentences)), doc.lengths)
    peaks = np.array([float(token[owner == i].max()) for i in range(len(doc.sentences))])
    want = peaks / peaks.max()
    assert [e.score for e in sel.evidence] == pytest.approx(want.tolist(), abs=1e-3)
