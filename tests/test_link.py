"""Link scoring (``link_head``): sentences about what a kept sentence names are kept too."""

from __future__ import annotations

import random

import pytest
import torch
from infiniretri_core import ConfigError, InfiniRetri, InfiniRetriConfig, Progress, haystack, probe
from infiniretri_core.calibration import link_probes
from infiniretri_core.prompt import prompt_parts
from infiniretri_core.scoring import link


def test_a_sentence_gets_the_peak_of_what_it_attends_to_outside_itself() -> None:
    owner = torch.tensor([0, 0, 1, 1, 2, 2])
    scores = torch.tensor([1.0, 4.0, 0.5, 0.5, 0.0, 2.0])  # peaks: 4, 0.5, 2
    rows = torch.zeros(6, 6)
    rows[4, 0] = 0.5  # sentence 2 attends half to sentence 0 ...
    rows[4, 4] = 0.5  # ... and half to itself, which must not count
    rows[5, 2] = 1.0  # and fully to sentence 1
    rows[1, 0] = 1.0  # sentence 0 to itself only
    mass = link.sentence_mass(rows, owner, 3)
    torch.testing.assert_close(mass[4], torch.tensor([0.5, 0.0, 0.5]))
    got = link.link_scores(mass, scores, owner)
    torch.testing.assert_close(got, torch.tensor([0.0, 0.0, 0.0, 0.0, 2.0, 0.5]))
    torch.testing.assert_close(mass[4], torch.tensor([0.5, 0.0, 0.5]))  # input left as is


@pytest.mark.parametrize(
    "options",
    [
        {"link_head": -1},
        {"link_head": "first"},
        {"link_head": True},
        {"link_head": 2.0},
        {"link_head": 6, "heads": "18.6"},
        {"link_head": 6, "null_question": "N/A"},
        {"link_weight": 0},
        {"link_weight": -0.5},
        {"link_weight": float("nan")},
        {"link_weight": float("inf")},
        {"link_weight": "0.5"},
        {"link_weight": True},
        {"passes": 0},
        {"passes": -1},
        {"passes": "2"},
        {"passes": 1.5},
        {"passes": True},
    ],
)
def test_bad_link_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        InfiniRetriConfig(**options)  # type: ignore[arg-type]


def test_a_head_the_layer_does_not_have_is_refused(engine: InfiniRetri) -> None:
    n = engine.model.config.num_attention_heads
    with pytest.raises(ConfigError, match="link_head"):
        InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, link_head=n)


@pytest.mark.parametrize(("name", "value"), [("link_head", 0), ("passes", 2)])
def test_select_many_reads_with_what_it_once_refused(
    engine: InfiniRetri, name: str, value: int
) -> None:
    """Both options work with several questions (they were a ConfigError): one selection
    per question, every pass reported."""
    eng = InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, **{name: value})
    doc = haystack.build(engine.tokenizer, 1500, 0.5)
    reports: list[Progress] = []
    sels = eng.select_many(doc, [haystack.QUESTION, "Who?"], progress=reports.append)
    assert len(sels) == 2 and any("Dolores Park" in e.text for e in sels[0].evidence)
    assert reports[-1].num_chunks == eng.config.passes * sels[0].num_chunks >= 2


def test_link_rows_are_that_heads_attention_summed_per_sentence(
    fp32_engine: InfiniRetri,
) -> None:
    """The block-wise one-head capture equals that head's slice of the all-heads capture,
    summed per sentence, over more rows than one block."""
    eng = fp32_engine
    parts = prompt_parts(eng.tokenizer, eng.config.prompt_template, "Who owns the owl?")
    texts = [" The glass owl was a gift from Isolde Novak.", " Isolde Novak was born in Hobart."]
    texts = [t for _ in range(30) for t in texts]
    sentences = [eng.tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    ids, ctx, _ = parts.build([t for s in sentences for t in s])
    n_ctx = ctx.stop - ctx.start
    assert n_ctx > 2 * probe.ROW_BLOCK
    owner = torch.repeat_interleave(
        torch.arange(len(sentences)), torch.tensor(list(map(len, sentences)))
    )
    groups = torch.full((ids.shape[1],), len(sentences), dtype=torch.long)
    groups[ctx] = owner
    layer = eng.layer
    for head in (0, 6):
        spec = probe.LinkSpec(layer, head, ctx.start, ctx.stop, groups, len(sentences))
        rows = probe.attention_rows(eng.model, ids, ctx.start, [layer], link=spec)
        want = link.sentence_mass(rows[layer][0, head, :n_ctx, ctx], owner, len(sentences))
        assert rows[probe.LINK].shape == (n_ctx, len(sentences))
        torch.testing.assert_close(rows[probe.LINK], want, atol=1e-5, rtol=0)


def test_link_probes_put_the_answer_after_its_bridge(tokenizer) -> None:  # type: ignore[no-untyped-def]
    for sentences, answer_at, question in link_probes(tokenizer, random.Random(0), 4):
        texts = [tokenizer.decode(s) for s in sentences]
        person = texts[answer_at].split(" was born")[0].strip()
        bridge = f"gift from {person}."
        bridge_at = next(i for i, t in enumerate(texts) if t.strip().endswith(bridge))
        assert bridge_at < answer_at
        assert person not in question
        assert sum(map(len, sentences)) >= 1024


def test_auto_link_head_is_calibrated_and_links(engine: InfiniRetri) -> None:
    """The calibrated head ranks the answer sentence of unseen probes first or nearly."""
    from infiniretri_core.calibration import Probing, calibrate_link

    eng = InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, link_head="auto")
    cfg = eng.config
    probing = Probing(eng.model, eng.tokenizer, cfg.prompt_template, cfg.phrase_token_num)
    mrr = calibrate_link(probing, eng.layer, probes=4, seed=7)  # other probes than its own
    assert mrr[eng.link_head] >= 0.75, mrr
    assert sorted(mrr.values())[len(mrr) // 2] < 0.5, mrr  # most heads do not link
