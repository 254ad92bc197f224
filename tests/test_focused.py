"""Query-focused heads (heads + null_question): scores by hand, head choice, and a real read."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from infiniretri_core import ConfigError, InfiniRetriConfig, haystack, scoring
from infiniretri_core.calibration.heads import choose, reciprocal_ranks
from infiniretri_core.scoring.focused import FocusedHeads


def _rows(mean_rows: list[list[float]], k: int, ctx: slice) -> torch.Tensor:
    """(H=1, Q, K) rows whose context columns hold ``mean_rows`` (the rest zeros)."""
    r = torch.zeros(1, len(mean_rows), k)
    r[0, :, ctx] = torch.tensor(mean_rows)
    return r


def test_focused_scores_by_hand() -> None:
    """Context of 5 tokens in two sentences (3 + 2 tokens), one head, cut at 1 std.

    question mean row [0.1 0.2 0.3 0.1 0.0], null row [0.0 0.1 0.1 0.1 0.4]:
    d = [0.1 0.1 0.2 0.0 -0.4], mean 0, std sqrt(0.22 / 4) = 0.2345 -> -0.4 is cut to 0;
    sentence 0: (0.1 + 0.1 + 0.2) / sqrt(3) = 0.2309, sentence 1: 0 / sqrt(2) = 0.
    """
    ctx = slice(2, 7)
    question = _rows([[0.2, 0.1, 0.5, 0.2, 0.0], [0.0, 0.3, 0.1, 0.0, 0.0]], 10, ctx)
    null = _rows([[0.0, 0.1, 0.1, 0.1, 0.4]], 10, ctx)
    owner = torch.tensor([0, 0, 0, 1, 1])
    q = scoring.QuestionRows(
        {3: question},
        slice(7, 9),
        ctx,
        companion=scoring.QuestionRows({3: null}, slice(7, 8), ctx),
        owner=owner,
    )
    got = FocusedHeads(((3, 0),), "N/A", cut=1.0).score(q)
    s0 = 0.4 / math.sqrt(3)
    torch.testing.assert_close(got, torch.tensor([s0, s0, s0, 0.0, 0.0]))
    # at 2 std nothing is cut: sentence 1 is (0.0 - 0.4) / sqrt(2)
    got2 = FocusedHeads(((3, 0),), "N/A", cut=2.0).score(q)
    torch.testing.assert_close(got2[3:], torch.full((2,), -0.4 / math.sqrt(2)))
    # two heads add; without owners the scores stay per token
    both = scoring.QuestionRows(
        {3: question.repeat(2, 1, 1)},
        slice(7, 9),
        ctx,
        companion=scoring.QuestionRows({3: null.repeat(2, 1, 1)}, slice(7, 8), ctx),
    )
    per_token = FocusedHeads(((3, 0), (3, 1)), cut=1.0).score(both)
    torch.testing.assert_close(per_token, torch.tensor([0.2, 0.2, 0.4, 0.0, 0.0]))


def test_heads_are_chosen_by_mean_reciprocal_rank() -> None:
    scores = np.zeros((2, 3, 4), dtype=np.float32)  # (layer, head, sentence)
    scores[:, :] = [1.0, 1.0, 0.0, 1.0]  # gold (sentence 2) last: 1/4
    scores[1, 2] = [0.0, 0.0, 5.0, 0.0]  # gold (sentence 2) first
    scores[0, 1] = [0.0, 0.0, 1.0, 2.0]  # gold second
    rr = reciprocal_ranks(scores, [2])
    assert rr.shape == (1, 2, 3) and rr[0, 1, 2] == 1.0 and rr[0, 0, 1] == 0.5
    assert rr[0, 0, 0] == 0.25
    assert choose(rr, 2) == ((1, 2), (0, 1))


def test_a_read_with_focused_heads_keeps_the_needle(engine) -> None:  # type: ignore[no-untyped-def]
    from infiniretri_core import InfiniRetri

    eng = InfiniRetri(engine.model, engine.tokenizer, heads=((14, 1), (15, 6)), null_question="N/A")
    assert isinstance(eng.pipeline.scorer, FocusedHeads) and eng.layer == 15
    doc = haystack.build(eng.tokenizer, 3_000, 0.5)
    sel = eng.select(doc, haystack.QUESTION)
    assert sel.num_chunks >= 3
    best = max(sel.evidence, key=lambda e: e.score)
    assert "Dolores Park" in best.text


def test_heads_auto_is_calibrated_on_real_questions_cached_and_reloaded(
    engine,
    tmp_path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """A tiny random model (the real tokenizer) keeps the calibration cheap: every gold chunk
    of the 48 calibration questions is read once, the choice cached, the cache read back."""
    import transformers
    from infiniretri_core import InfiniRetri
    from infiniretri_core.calibration import heads as calibration_heads

    monkeypatch.setenv("INFINIRETRI_CACHE", str(tmp_path))
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=len(engine.tokenizer),
        max_position_embeddings=4096,
    )
    tiny = transformers.LlamaForCausalLM(config).eval()
    seen = []
    real = calibration_heads.calibrate_heads
    monkeypatch.setattr(calibration_heads, "calibrate_heads", lambda *a: seen.append(1) or real(*a))
    first = InfiniRetri(tiny, engine.tokenizer, heads="auto", null_question="N/A")
    (chosen,) = first.options().heads
    assert seen == [1] and 0 <= chosen[0] < 3 and 0 <= chosen[1] < 4
    assert isinstance(first.pipeline.scorer, FocusedHeads)
    assert first.pipeline.scorer.heads == (chosen,) and first.layer == chosen[0]
    (record,) = tmp_path.glob("calibration/*-heads-*.json")
    assert record.is_file()
    again = InfiniRetri(tiny, engine.tokenizer, heads="auto", null_question="N/A")
    assert seen == [1] and again.options().heads == (chosen,)  # read back, not recomputed


def test_heads_auto_needs_the_null_question() -> None:
    with pytest.raises(ConfigError, match="null_question"):
        InfiniRetriConfig(heads="auto")
    assert InfiniRetriConfig(heads="auto", null_question="N/A").heads == "auto"


def test_keep_best_holds_a_sentence_that_once_ranked_high() -> None:
    """Three sentences of 4 tokens, room for 8: sentence 0 ranked first in an earlier step
    (best 9.0) and scores lowest now. The paper's rule (this step alone) drops it; ``best``
    keeps it, scored by its best, and drops the sentence that never ranked as high."""
    from infiniretri_core.reading.cache import keep

    owner = torch.tensor([0] * 4 + [1] * 4 + [2] * 4)
    scores = torch.tensor([1.0] * 4 + [5.0] * 4 + [3.0] * 4)
    lengths = np.array([4, 4, 4])
    step, step_peaks = keep(scores, owner, lengths, 8, None)
    assert step.tolist() == [1, 2] and step_peaks.tolist() == [5.0, 3.0]
    best, best_peaks = keep(scores, owner, lengths, 8, None, np.array([9.0, -np.inf, 2.0]))
    assert best.tolist() == [0, 1] and best_peaks.tolist() == [9.0, 5.0]
    # the bound still holds: 4 tokens leave room for the best-ranked sentence only
    bounded, _ = keep(scores, owner, lengths, 8, 4, np.array([9.0, -np.inf, 2.0]))
    assert bounded.tolist() == [0]


def test_step_top_k_keeps_a_late_sentence_its_own_step_ranks_high() -> None:
    """The 128k NIH miss in small: sentences 0 and 1 (4 tokens each) had best scores 9.0 and
    8.0 in earlier steps; sentence 2, read now, scores 6.0, this step's best (the others 1.0
    and 2.0 now). Room for 8 tokens by best scores holds 0 and 1 only; ``step_top_k=4`` also
    keeps the sentence holding this step's top 4 tokens, scored by its best, 6.0."""
    from infiniretri_core.reading.cache import keep

    owner = torch.tensor([0] * 4 + [1] * 4 + [2] * 4)
    scores = torch.tensor([1.0] * 4 + [2.0] * 4 + [6.0] * 4)
    lengths = np.array([4, 4, 4])
    earlier = np.array([9.0, 8.0, -np.inf])
    best, _ = keep(scores, owner, lengths, 8, None, earlier)
    assert best.tolist() == [0, 1]
    both, peaks = keep(scores, owner, lengths, 8, None, earlier, 4)
    assert both.tolist() == [0, 1, 2] and peaks.tolist() == [9.0, 8.0, 6.0]
    # the cache bound still holds, the lowest best score leaving first
    bounded, _ = keep(scores, owner, lengths, 8, 8, earlier, 4)
    assert bounded.tolist() == [0, 1]
    with pytest.raises(ConfigError, match="keep='best'"):
        InfiniRetriConfig(step_top_k=100)
    assert InfiniRetriConfig(keep="best", step_top_k=100).scoring == "custom"


def test_the_pool_remembers_the_best_of_what_left_the_cache() -> None:
    """Sentence ids 10..13 of 4, 4, 8 and 4 tokens; room for 8 tokens. The pool held 10
    (best 9.0) and 11 (best 1.0); the step left out 11 (now 6.0), 12 (7.0) and 13 (2.0) and
    cached 10. So 10 leaves the pool (cached), 11 counts at its best, 6.0, and of 12 (8
    tokens, 7.0), 11 (4, 6.0) and 13 (4, 2.0) the best that fit 8 tokens is 12 alone."""
    from infiniretri_core.reading.cache import left_out, pooled

    lengths = np.zeros(14, dtype=np.int64)
    lengths[10:14] = [4, 4, 8, 4]
    pool = {10: 9.0, 11: 1.0}
    left = {11: 6.0, 12: 7.0, 13: 2.0}
    assert pooled(pool, left, [10], lengths, 8) == {12: 7.0}
    assert pooled(pool, left, [10], lengths, 12) == {11: 6.0, 12: 7.0}
    assert pooled(pool, left, [10, 11, 12, 13], lengths, 12) == {}
    # what a step leaves out: the view's uncached sentences by their best peak
    owner = torch.tensor([0] * 4 + [1] * 4 + [2] * 4)
    scores = torch.tensor([1.0] * 4 + [5.0] * 4 + [3.0] * 4)
    best = np.array([9.0, -np.inf, 4.0], dtype=np.float32)
    assert left_out(scores, owner, [10, 11, 12], np.array([1]), best) == {10: 9.0, 12: 4.0}


def test_pool_tokens_needs_keep_best() -> None:
    with pytest.raises(ConfigError, match="keep='best'"):
        InfiniRetriConfig(pool_tokens=100)
    with pytest.raises(ConfigError, match="pool_tokens"):
        InfiniRetriConfig(keep="best", pool_tokens=0)
    assert InfiniRetriConfig(keep="best", pool_tokens=100).pool_tokens == 100


def test_a_read_with_a_pool_keeps_more_at_the_same_cost(engine) -> None:  # type: ignore[no-untyped-def]
    """The pool adds the best of what left the cache, within its tokens, and reads nothing
    more: every sentence the cache kept is still there with its score, the model saw the
    same tokens, and what was added was read and then left out."""
    from infiniretri_core import InfiniRetri

    opts = {"chunk_size": 128, "top_k": 48, "max_sentence_tokens": 48, "keep": "best"}
    base = InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, **opts)
    pooled = InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, pool_tokens=64, **opts)
    doc = haystack.build(engine.tokenizer, 1_000, 0.3)
    a, b = base.select(doc, haystack.QUESTION), pooled.select(doc, haystack.QUESTION)
    assert a.tokens_processed == b.tokens_processed and a.num_chunks == b.num_chunks >= 6
    kept = {e.sentence: e.score for e in a.evidence}
    assert {e.sentence: e.score for e in b.evidence if e.sentence in kept} == kept
    added = [e for e in b.evidence if e.sentence not in kept]
    assert added and 0 < b.tokens_kept - a.tokens_kept <= 64
    assert b.evidence == sorted(b.evidence, key=lambda e: e.sentence)  # document order
