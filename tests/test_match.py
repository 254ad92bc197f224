"""Exact-match prior (``match_weight``): the one look-alike that carries the asked key."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from infiniretri_core import ConfigError, InfiniRetri, InfiniRetriConfig, lexical
from infiniretri_core.bench import ruler


def _prior(sentences: list[list[int]], question: list[int], **kw: float) -> list[list[float]]:
    ids = np.asarray([t for s in sentences for t in s], dtype=np.int64)
    offsets = np.cumsum([0, *map(len, sentences)])
    word = [t >= 0 for t in question]
    got = lexical.prior(ids, offsets, question, word, **kw)  # type: ignore[arg-type]
    return [got[a:b].round(3).tolist() for a, b in itertools.pairwise(offsets)]


def test_the_sentence_holding_the_whole_key_scores_highest() -> None:
    # question "for 7 8": sentence 0 holds the key 7 8 whole, sentence 1 only its 7,
    # sentence 2 neither; filler sentences make 7 and 8 rare
    filler = [[1, 2, 3]] * 7
    got = _prior([[5, 7, 8], [5, 7, 9], [5, 9, 9], *filler], [5, 7, 8], max_share=0.5)
    assert got[0] == [1.0, 1.0, 1.0]  # the best sentence scores 1 on every covered token
    assert got[1][0] == got[1][1] and 0 < got[1][1] < 1 and got[1][2] == 0  # 9 not covered
    assert 0 < got[2][0] < got[1][0] and got[2][1:] == [0.0, 0.0]  # only the commoner 5
    assert all(v == 0 for s in got[3:] for v in s)


def test_common_sequences_and_sequences_across_sentences_do_not_count() -> None:
    # 5 is in every sentence (> max_share): no evidence; "7 8" only across a boundary
    got = _prior([[5, 1, 7], [8, 5, 2], [5, 3, 4]], [5, 7, 8], max_share=0.5)
    assert got[0][2] == 1.0 and got[1][0] == 1.0  # 7 and 8 alone, each in one sentence
    assert got[0][0] == 0 and got[1][1] == 0 and got[2] == [0.0, 0.0, 0.0]


def test_no_match_no_prior() -> None:
    assert all(v == 0 for s in _prior([[1, 2], [3, 4]], [7, 8]) for v in s)


def test_tokens_match_by_text_whatever_their_case_and_leading_space(tokenizer) -> None:  # type: ignore[no-untyped-def]
    ids = [tokenizer(w, add_special_tokens=False)["input_ids"] for w in (" The", " the", "the")]
    assert all(len(i) == 1 for i in ids) and len({i[0] for i in ids}) == 3
    space = tokenizer(" ", add_special_tokens=False)["input_ids"]
    canon = lexical.canonical(tokenizer, np.asarray([i[0] for i in ids] + space))
    assert canon[0] == canon[1] == canon[2] >= 0 and canon[3] == -1


@pytest.mark.parametrize(
    "options",
    [
        {"match_weight": -1},
        {"match_weight": float("nan")},
        {"match_weight": float("inf")},
        {"match_weight": "2"},
        {"match_weight": True},
        {"match_max_n": 0},
        {"match_max_n": 2.0},
        {"match_max_share": 0},
        {"match_max_share": 1.5},
        {"match_max_share": "0.1"},
    ],
)
def test_bad_match_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        InfiniRetriConfig(**options)  # type: ignore[arg-type]


def test_select_many_builds_each_questions_own_prior(engine: InfiniRetri) -> None:
    """Two questions in one reading: each question's own key ranks first, as on its own
    (the kept sets may differ by near-ties among look-alikes: bf16 rounds by input shape)."""
    eng = InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, match_weight=2)
    cases = [ruler.generate("multi_key_dense", engine.tokenizer, 1500, s) for s in (1, 3)]
    document = cases[0].document + " " + cases[1].needles[0]
    questions = [c.question for c in cases]
    plain = engine.select_many(document, questions)
    firsts = [
        c.needles[0] in max(p.evidence, key=lambda e: e.score).text
        for p, c in zip(plain, cases, strict=True)
    ]
    assert not all(firsts), "attention alone ranked both first: the test proves nothing"
    many = eng.select_many(document, questions)
    for sel, question, case in zip(many, questions, cases, strict=True):
        for got in (sel, eng.select(document, question)):
            ranked = sorted(got.evidence, key=lambda e: -e.score)
            assert case.needles[0] in ranked[0].text, [e.text for e in ranked[:3]]


def _ranks(engine: InfiniRetri, case: ruler.Case) -> list[int]:
    """Rank of each needed needle among the kept sentences by score (-1: not kept)."""
    ranked = sorted(engine.select(case.document, case.question).evidence, key=lambda e: -e.score)
    return [next((i for i, e in enumerate(ranked) if n in e.text), -1) for n in case.needles]


@pytest.fixture(scope="module")
def matching(engine: InfiniRetri) -> InfiniRetri:
    return InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, match_weight=2)


def test_among_look_alikes_the_asked_key_ranks_first(
    engine: InfiniRetri, matching: InfiniRetri
) -> None:
    """Dense RULER (every sentence a needle of another key), 2,500 tokens: attention alone
    ranks the asked needle below a look-alike in some cases; with the prior it is first."""
    cases = [ruler.generate("multi_key_dense", engine.tokenizer, 2500, s) for s in range(4)]
    plain = [_ranks(engine, c)[0] for c in cases]
    matched = [_ranks(matching, c)[0] for c in cases]
    assert matched == [0, 0, 0, 0], (plain, matched)
    assert max(plain) > 0, "attention alone ranked every needle first: the test proves nothing"


def test_four_keys_asked_at_once_rank_their_four_needles_on_top(
    engine: InfiniRetri, matching: InfiniRetri
) -> None:
    """All four needles among the six best, and better ranked than by attention alone."""
    totals = [0, 0]
    for seed in range(3):
        case = ruler.generate("multi_query_dense", engine.tokenizer, 2500, seed)
        plain, matched = _ranks(engine, case), _ranks(matching, case)
        assert -1 not in matched and max(matched) <= 5, (seed, plain, matched)
        cost = [sum(100 if r < 0 else r for r in ranks) for ranks in (plain, matched)]
        assert cost[1] <= cost[0], (seed, plain, matched)  # 6 is the best possible
        totals = [t + c for t, c in zip(totals, cost, strict=True)]
    assert totals[1] < totals[0], totals
