"""The null-question option: a second, content-free question block over the same step."""

from __future__ import annotations

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
