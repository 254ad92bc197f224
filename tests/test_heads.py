"""The heads option: scoring with chosen (layer, head) pairs instead of one layer's sum."""

from __future__ import annotations

import pytest
import torch
from infiniretri_core import ConfigError, InfiniRetri, InfiniRetriConfig, haystack, probe, scoring

HEADS = ((24, 4), (15, 6), (24, 5))


@pytest.mark.parametrize(
    "bad",
    [(), [(1,)], [(1, 2, 3)], [(-1, 0)], [(1, "2")], [(True, 1)], "x.y", [(1, 2), (1, 2)], 5],
)
def test_bad_heads_are_config_errors(bad: object) -> None:
    with pytest.raises(ConfigError, match="head"):
        InfiniRetriConfig(heads=bad)


def test_heads_forms_and_combinations() -> None:
    assert InfiniRetriConfig(heads="24.4, 15.6").heads == ((24, 4), (15, 6))
    assert InfiniRetriConfig(heads=[[24, 4], [15, 6]]).heads == ((24, 4), (15, 6))  # from JSON
    assert InfiniRetriConfig(heads=HEADS, null_question="N/A").heads == HEADS  # focused heads
    with pytest.raises(ConfigError, match="null_question"):
        InfiniRetriConfig(heads="auto")


def test_heads_beyond_the_model_are_refused(engine: InfiniRetri) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        InfiniRetri(engine.model, engine.tokenizer, heads=[(30, 0)])
    with pytest.raises(ConfigError, match="does not exist"):
        InfiniRetri(engine.model, engine.tokenizer, heads=[(3, 9)])


def test_one_head_alone_equals_the_papers_scoring_of_that_head(engine: InfiniRetri) -> None:
    """Unit-sum normalisation only rescales: one head ranks tokens as its own rows do."""
    tok = engine.tokenizer
    from infiniretri_core.prompt import prompt_parts

    parts = prompt_parts(tok, engine.config.prompt_template, haystack.QUESTION)
    ctx_ids = tok(haystack.NEEDLE + " It rained all week.", add_special_tokens=False)["input_ids"]
    ids, ctx, q0 = parts.build(ctx_ids)
    rows = probe.attention_rows(engine.model, ids, q0, [15])
    question = scoring.QuestionRows({15: rows[15][0]}, slice(q0, None), ctx)
    got = scoring.HeadSum(((15, 6),), 8, True).score(question)
    r = rows[15][0, 6]
    want = scoring.token_scores(r, ctx, 8, scoring.question_weights(r, slice(q0, None)))
    torch.testing.assert_close(got, want / want.sum())
    assert torch.isclose(got.sum(), torch.tensor(1.0))


def test_reading_with_heads_keeps_the_needle_and_reads_to_the_deepest_layer(
    engine: InfiniRetri,
) -> None:
    eng = InfiniRetri(engine.model, engine.tokenizer, heads=HEADS)
    assert eng.layer == 24  # no calibration: the deepest chosen layer
    doc = haystack.build(eng.tokenizer, 3_000, 0.5)
    sel = eng.select(doc, haystack.QUESTION)
    assert sel.num_chunks >= 3 and sel.layer == 24
    assert any("Dolores Park" in e.text for e in sel.evidence)
    # select_many shares the chunk loop and scores each question with the same heads
    (many,) = eng.select_many(doc, [haystack.QUESTION])
    assert [e.sentence for e in many.evidence] == [e.sentence for e in sel.evidence]


def test_select_many_reads_with_the_null_question(engine: InfiniRetri) -> None:
    """Once refused (a ConfigError), now one null block beside each question."""
    eng = InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, null_question="N/A")
    doc = haystack.build(engine.tokenizer, 1500, 0.5)
    first, second = eng.select_many(doc, [haystack.QUESTION, "Who wrote this?"])
    assert any("Dolores Park" in e.text for e in first.evidence)
    assert second.evidence and first.tokens_processed == second.tokens_processed


def test_cli_passes_heads_and_null_question() -> None:
    from infiniretri_core import cli

    args = cli._parser().parse_args(["ask", "f.txt", "-q", "Why?", "--heads", "24.4,15.6"])
    assert cli._options(args)["heads"] == "24.4,15.6"
    assert InfiniRetriConfig().replace(**cli._options(args)).heads == ((24, 4), (15, 6))
    args = cli._parser().parse_args(["ask", "f.txt", "-q", "Why?", "--null-question", "N/A"])
    assert cli._options(args) == {"null_question": "N/A"}
