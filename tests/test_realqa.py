"""The real-document QA set (issue 20, item 2): documents rebuild to the checked text, every
gold span is exact and unique, the set has the promised shape. Fast: no model is loaded."""

from __future__ import annotations

import pytest
from infiniretri_core import realdocs
from infiniretri_core.bench import realqa
from infiniretri_core.bench.cases import Case
from infiniretri_core.errors import InputError

DOCS = realqa.documents()
QUESTIONS = realqa.questions()


def _flat(text: str) -> str:
    return " ".join(text.replace("*", "").split()).lower()


def test_documents_rebuild_to_the_checked_text_and_size() -> None:
    assert len(DOCS) >= 6
    for doc in DOCS:
        text = realqa.text(doc.name)  # raises if the sha256 differs
        assert len(text) == doc.chars
        assert 16_000 <= doc.tokens <= 128_000, doc.name
        # A tokenizer-free cross-check of the stored token count (English: ~4 characters a token).
        assert 16_000 <= len(text) / 4 <= 128_000, doc.name
        assert 0.8 <= len(text) / 4 / doc.tokens <= 1.25, doc.name


def test_every_gold_span_is_its_document_slice_and_unique() -> None:
    for q in QUESTIONS:
        text = realqa.text(q.document)
        assert q.gold, q.id
        for g in q.gold:
            assert 0 <= g.start < g.end <= len(text), q.id
            assert text[g.start : g.end] == g.text, q.id
            assert text.count(g.text) == 1, q.id
            assert realqa.locate(text, g.text) == [(g.start, g.end)], q.id


def test_two_sentence_gold_is_far_apart() -> None:
    gaps = []
    for q in QUESTIONS:
        if len(q.gold) > 1:
            first, second = sorted(q.gold, key=lambda g: g.start)
            assert first.end < second.start, q.id
            gaps.append(second.start - first.end)
    assert min(gaps) >= 500
    assert sum(gap > 2_000 for gap in gaps) >= 0.75 * len(gaps)


def test_counts() -> None:
    assert len(QUESTIONS) >= 64
    assert len({q.id for q in QUESTIONS}) == len(QUESTIONS)
    assert sum(map(realqa.paraphrased, QUESTIONS)) >= 0.5 * len(QUESTIONS)
    assert sum(len(q.gold) >= 2 for q in QUESTIONS) >= 16


def test_splits_are_disjoint_by_document_and_balanced() -> None:
    dev, report = realqa.questions("dev"), realqa.questions("report")
    dev_docs, report_docs = {q.document for q in dev}, {q.document for q in report}
    assert dev and report
    assert not dev_docs & report_docs
    assert dev_docs | report_docs == {d.name for d in DOCS}
    assert len(dev) + len(report) == len(QUESTIONS)
    assert abs(len(dev) - len(report)) <= 0.2 * len(QUESTIONS)
    # Both halves hold both sources and two-sentence questions.
    for half in (dev, report):
        assert {q.document[:3] for q in half} == {"pg-", "py-"}
        assert sum(len(q.gold) >= 2 for q in half) >= 8


def test_answers_come_from_the_gold_and_not_from_the_question() -> None:
    for q in QUESTIONS:
        assert q.answers, q.id
        assert not any(a.lower() in q.question.lower() for a in q.answers), q.id
        in_gold = any(a.lower() in _flat(" ".join(g.text for g in q.gold)) for a in q.answers)
        assert in_gold != q.inferred, q.id
    assert sum(q.inferred for q in QUESTIONS) <= 0.1 * len(QUESTIONS)


def test_real_cases_run_like_every_other_case() -> None:
    cases = realqa.real_cases("report")
    assert [c.name for c in cases] == [q.id for q in realqa.questions("report")]
    for case, q in zip(cases, realqa.questions("report"), strict=True):
        assert isinstance(case, Case)
        assert case.task == "real"
        assert case.document is realqa.text(q.document)
        assert case.needles == tuple(g.text for g in q.gold)
        assert case.recall(" ... ".join(" ".join(n.split()) for n in case.needles)) == 1.0
        assert case.score(f"I think it is {case.expected[-1].upper()}.") == 1.0
        assert case.score("I do not know.") == 0.0
        assert "document" not in case.describe()


def test_content_words_ignore_stopwords_and_inflection() -> None:
    assert realqa.content_words("The computers were computing it") == {"comput"}
    q = realqa.Question("x", "d", "Which vehicle did he buy?", ("car",), (), "name")
    gold = realqa.Span(0, 5, "He bought a car.")
    assert realqa.paraphrased(realqa.Question(**{**q.__dict__, "gold": (gold,)}))
    asked = realqa.Question(**{**q.__dict__, "question": "Which car did he buy?", "gold": (gold,)})
    assert not realqa.paraphrased(asked)


@pytest.mark.parametrize("name", ["py-datamodel", "idle-help"])  # evaluation, calibration
def test_a_changed_source_is_a_clear_error(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = realqa.build
    monkeypatch.setattr(realdocs, "build", lambda doc: original(doc) + " ")
    realqa.text.cache_clear()
    try:
        with pytest.raises(InputError, match="differs from the text"):
            realqa.text(name)
    finally:
        realqa.text.cache_clear()
    with pytest.raises(InputError, match="no realqa document"):
        realqa.text("nope")


CALIBRATION = realqa.documents("calibration")
CALIBRATION_QUESTIONS = realqa.questions("calibration")


def test_calibration_set_loads_apart_from_the_evaluation_set() -> None:
    assert len(CALIBRATION) == 6 and len(CALIBRATION_QUESTIONS) == 48
    assert {d.split for d in CALIBRATION} == {"calibration"}
    assert {q.document for q in CALIBRATION_QUESTIONS} == {d.name for d in CALIBRATION}
    # "all" is still the evaluation set: dev and report, nothing of the calibration set.
    assert {d.split for d in DOCS} == {"dev", "report"}
    assert len(QUESTIONS) == len(realqa.questions("dev")) + len(realqa.questions("report"))
    cases = realqa.real_cases("calibration")
    assert [c.name for c in cases] == [q.id for q in CALIBRATION_QUESTIONS]
    assert len({c.name for c in cases} | {q.id for q in QUESTIONS}) == len(cases) + len(QUESTIONS)
    sizes = {d.name: d.tokens for d in CALIBRATION}
    for case, q in zip(cases, CALIBRATION_QUESTIONS, strict=True):
        assert case.document is realqa.text(q.document)
        assert case.length == sizes[q.document]


def test_calibration_documents_share_no_source_or_text_with_realqa() -> None:
    used = {(d.source, p) for d in DOCS for p in d.parts}
    assert not {(d.source, p) for d in CALIBRATION for p in d.parts} & used
    assert not {d.name for d in CALIBRATION} & {d.name for d in DOCS}
    assert {d.source for d in CALIBRATION}.isdisjoint({d.source for d in DOCS})
    # No passage either: the unused pydoc topics were left out because they repeat used ones.
    seen = " ".join(" ".join(realqa.text(d.name).split()) for d in DOCS)
    for doc in CALIBRATION:
        flat = " ".join(realqa.text(doc.name).split())
        windows = [flat[i : i + 160] for i in range(0, len(flat) - 160, 400)]
        assert not [w for w in windows if w in seen], doc.name


def test_calibration_documents_rebuild_to_size() -> None:
    for doc in CALIBRATION:
        text = realqa.text(doc.name)  # raises if the sha256 differs
        assert len(text) == doc.chars
        assert 8_000 <= doc.tokens <= 20_000, doc.name
        assert 0.8 <= len(text) / 4 / doc.tokens <= 1.25, doc.name


def test_calibration_gold_is_exact_unique_and_spread() -> None:
    for q in CALIBRATION_QUESTIONS:
        text = realqa.text(q.document)
        assert q.gold, q.id
        for g in q.gold:
            assert text[g.start : g.end] == g.text, q.id
            assert text.count(g.text) == 1, q.id
            assert realqa.locate(text, g.text) == [(g.start, g.end)], q.id
        assert q.answers and not any(a.lower() in q.question.lower() for a in q.answers), q.id
        in_gold = any(a.lower() in _flat(" ".join(g.text for g in q.gold)) for a in q.answers)
        assert in_gold != q.inferred, q.id
    for doc in CALIBRATION:
        starts = [
            g.start / doc.chars
            for q in CALIBRATION_QUESTIONS
            if q.document == doc.name
            for g in q.gold
        ]
        assert min(starts) < 0.25 and max(starts) > 0.75, doc.name
        assert sum(0.25 <= s <= 0.75 for s in starts) >= 3, doc.name


def test_calibration_questions_are_mostly_paraphrased_and_a_quarter_two_sentence() -> None:
    qs = CALIBRATION_QUESTIONS
    assert len({q.id for q in qs}) == len(qs)
    assert sum(map(realqa.paraphrased, qs)) >= 0.6 * len(qs)
    two = [q for q in qs if len(q.gold) >= 2]
    assert 0.2 * len(qs) <= len(two) <= 0.35 * len(qs)
    assert {q.kind for q in qs} >= {"fact", "name", "number", "reason", "definition"}
    for q in two:
        first, second = q.gold
        assert second.start - first.end >= 500, q.id
    for doc in CALIBRATION:
        assert sum(q.document == doc.name for q in qs) == 8, doc.name
