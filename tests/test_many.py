"""Several questions, one reading: ``select_many`` / ``answer_many``."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from infiniretri_core import Cancelled, InfiniRetri, InputError, Progress, haystack
from infiniretri_core.bench.cases import sentence_ends

FACTS = [
    (
        "The secret code for the blue vault is 48213.",
        "What is the secret code for the blue vault?",
        "48213",
    ),
    (
        "Marta's favourite fruit is the yellow mango from Kerala.",
        "What is Marta's favourite fruit?",
        "mango",
    ),
    (
        "The night train to Vienna leaves from platform seventeen.",
        "From which platform does the night train to Vienna leave?",
        "seventeen",
    ),
    (haystack.NEEDLE, haystack.QUESTION, "Dolores Park"),
]
QUESTIONS = [q for _, q, _ in FACTS]


SMALL = {"chunk_size": 256, "top_k": 32, "max_cache_tokens": 192}


@pytest.fixture(scope="module")
def small(engine: InfiniRetri) -> InfiniRetri:
    return InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, **SMALL)


@pytest.fixture(scope="module")
def exact(fp32_engine: InfiniRetri) -> InfiniRetri:
    """``small`` in fp32, for comparisons at 1e-4."""
    return InfiniRetri(fp32_engine.model, fp32_engine.tokenizer, layer=fp32_engine.layer, **SMALL)


@pytest.fixture(scope="module")
def doc(engine: InfiniRetri) -> str:
    """~1.5k tokens of essays with the four facts at depths 15, 40, 60 and 80%."""
    text = haystack.build(engine.tokenizer, 1500, 0.8, needle=FACTS[3][0])
    for (fact, _, _), depth in zip(FACTS[:3], (0.15, 0.4, 0.6), strict=True):
        cut = min(sentence_ends(text), key=lambda e: abs(e - depth * len(text)))
        text = text[:cut] + " " + fact + text[cut:]
    return text


def _kept(selection, mark: str) -> bool:  # type: ignore[no-untyped-def]
    return any(mark in e.text for e in selection.evidence)


def test_each_question_keeps_its_own_fact(small: InfiniRetri, doc: str) -> None:
    reports: list[Progress] = []
    sels = small.select_many(doc, QUESTIONS, reports.append)
    assert len(sels) == len(FACTS)
    for sel, (_, _, mark) in zip(sels, FACTS, strict=True):
        assert _kept(sel, mark), (mark, sel.context)
        assert sel.tokens_kept <= 192  # each question's own max_cache_tokens
    # one report per chunk; the last one's tokens_kept is the union of the final caches
    assert [p.chunk for p in reports] == list(range(1, sels[0].num_chunks + 1))
    union = {e.sentence: len(e.text) for s in sels for e in s.evidence}
    assert max(s.tokens_kept for s in sels) <= reports[-1].tokens_kept
    assert reports[-1].tokens_kept <= sum(s.tokens_kept for s in sels)
    assert len(union) >= max(len(s.evidence) for s in sels)
    assert reports[-1].tokens_read == reports[-1].tokens_total


def test_one_question_equals_the_single_path(small: InfiniRetri, doc: str) -> None:
    q = QUESTIONS[1]
    single = small.select(doc, q)
    (many,) = small.select_many(doc, [q])
    assert [e.sentence for e in many.evidence] == [e.sentence for e in single.evidence]
    assert [(e.start, e.end) for e in many.evidence] == [(e.start, e.end) for e in single.evidence]
    assert [e.score for e in many.evidence] == pytest.approx(
        [e.score for e in single.evidence], abs=1e-4
    )
    assert many.tokens_processed == single.tokens_processed


def test_question_blocks_do_not_see_each_other(exact: InfiniRetri) -> None:
    """One chunk, no cache: each question's rows must equal its single read exactly, which
    fails if a block attends to another block or its positions do not follow the context."""
    text = (
        "The harbour master measured the river path before the winter came. "
        "The secret code for the blue vault is 48213. "
        "Marta's favourite fruit is the yellow mango from Kerala. "
        "Everyone agreed it had been worth the effort. "
    ) * 3
    sels = exact.select_many(text, QUESTIONS[:2])
    assert sels[0].num_chunks == 1
    for sel, q in zip(sels, QUESTIONS[:2], strict=True):
        single = exact.select(text, q)
        assert [e.sentence for e in sel.evidence] == [e.sentence for e in single.evidence]
        assert [e.score for e in sel.evidence] == pytest.approx(
            [e.score for e in single.evidence], abs=1e-4
        )


def test_answers_for_two_questions(small: InfiniRetri, doc: str) -> None:
    answers = small.answer_many(doc, [QUESTIONS[0], QUESTIONS[3]], max_new_tokens=24)
    assert len(answers) == 2
    assert "48213" in answers[0].text
    assert "Dolores Park" in answers[1].text
    assert _kept(answers[0].selection, "48213") and not _kept(answers[1].selection, "48213")


@pytest.mark.parametrize(
    "questions",
    ["What is the code?", [], ["What is the code?", ""], ["   "], [None], None, [b"x"], 7],
)
def test_bad_questions(small: InfiniRetri, questions: object) -> None:
    with pytest.raises(InputError):
        small.select_many("A short text. Another one.", questions)  # type: ignore[arg-type]


def test_a_question_too_long_for_the_chunk(small: InfiniRetri) -> None:
    with pytest.raises(InputError, match="chunk_size"):
        small.select_many("A short text.", ["What?", "word " * 400])


def test_cancel_between_chunks(small: InfiniRetri, doc: str) -> None:
    event = threading.Event()
    seen: list[int] = []

    def progress(p: Progress) -> None:
        seen.append(p.chunk)
        event.set()

    with pytest.raises(Cancelled):
        small.select_many(doc, QUESTIONS[:2], progress, cancel=event)
    assert seen == [1]  # stopped before the second chunk
    with pytest.raises(Cancelled):
        small.answer_many(doc, QUESTIONS[:2], cancel=event)
    # the lock was released: the engine still reads
    assert small.select_many("One sentence. Two sentences.", QUESTIONS[:1])[0].num_chunks == 1


def test_questions_split_into_forwards_that_fit_the_model(
    small: InfiniRetri, doc: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infiniretri_core import probe
    from infiniretri_core.reading import step

    caches = [[0, 1], [1, 2], [5]]
    lengths = np.full(8, 10)
    assert step.groups(caches, lengths, 100, [5, 5, 5], None) == [[0, 1, 2]]
    assert step.groups(caches, lengths, 100, [5, 5, 5], 145) == [[0, 1], [2]]
    assert step.groups(caches, lengths, 100, [5, 5, 5], 10) == [[0], [1], [2]]

    sizes: list[int] = []
    capture = probe.attention_rows

    def spy(model, ids, *args, **kwargs):  # type: ignore[no-untyped-def]
        sizes.append(ids.shape[1])
        return capture(model, ids, *args, **kwargs)

    limit = 450
    monkeypatch.setattr(small.model.config, "max_position_embeddings", limit)
    monkeypatch.setattr(probe, "attention_rows", spy)
    sels = small.select_many(doc, QUESTIONS[:2])
    assert max(sizes) <= limit
    assert len(sizes) > sels[0].num_chunks  # some steps needed two forwards
    assert _kept(sels[0], "48213") and _kept(sels[1], "mango")


def test_shared_step_rows_equal_eager_attention(fp32_engine: InfiniRetri) -> None:
    """The captured rows under the 4D mask and position ids equal eager attention given the
    same (additive) mask: the probe and SDPA honour the mask that keeps questions apart."""
    import torch
    from infiniretri_core import families, probe
    from infiniretri_core.prompt import prompt_parts
    from infiniretri_core.reading import step
    from transformers import AutoModelForCausalLM

    engine = fp32_engine
    tok = engine.tokenizer
    parts = [prompt_parts(tok, engine.config.prompt_template, q) for q in QUESTIONS[:2]]
    context = tok(" ".join(f for f, _, _ in FACTS[:3]), add_special_tokens=False)["input_ids"]
    start = len(parts[0].prefix)
    own = [torch.arange(start, start + len(context)), torch.arange(start + 5, start + len(context))]
    blocks_in = [step.Block(p, c) for p, c in zip(parts, own, strict=True)]
    built = step.build(parts[0].prefix, context, blocks_in)
    ids, mask, positions, blocks = built.ids, built.mask, built.positions, built.spans
    assert mask is not None and positions is not None
    assert positions[0, blocks[0][0]] == positions[0, blocks[1][0]]  # same positions per block
    layer = engine.layer
    rows = probe.attention_rows(engine.model, ids, blocks[0][0], [layer], mask, positions)[layer]
    eager = AutoModelForCausalLM.from_pretrained(
        families.model_name(engine.model), dtype=torch.float32, attn_implementation="eager"
    ).eval()
    additive = torch.zeros(mask.shape).masked_fill(~mask, torch.finfo(torch.float32).min)
    with torch.inference_mode():
        out = eager(
            input_ids=ids, attention_mask=additive, position_ids=positions, output_attentions=True
        )
    ref = out.attentions[layer][:, :, blocks[0][0] :, :]
    torch.testing.assert_close(rows, ref.float(), atol=1e-4, rtol=0)
    second = rows[0, :, blocks[1][0] - blocks[0][0] :, :]
    assert second[:, :, start : start + 5].abs().max() == 0  # masked cache columns unseen
    assert second[:, :, blocks[0][0] : blocks[0][1]].abs().max() == 0  # the other block unseen
