"""The read loop on the real embedded model."""

from __future__ import annotations

import pytest
from infiniretri_core import InfiniRetri, InputError, Progress, haystack

HAYSTACK_TOKENS = 10_000
"""Longer than SmolLM2's 8,192-token window; the adapters' needle tests read 16.5k."""
CHUNKS = HAYSTACK_TOKENS // 1024
"""Chunks such a read takes at least (1,024 tokens each, cut at sentences)."""


def needle_kept(evidence) -> bool:  # type: ignore[no-untyped-def]
    return any("Dolores Park" in e.text for e in evidence)


def assert_provenance(document: str, evidence) -> None:  # type: ignore[no-untyped-def]
    assert evidence
    for e in evidence:
        assert document[e.start : e.end] == e.text
        assert e.text == e.text.strip() and e.text
        assert 0.0 <= e.score <= 1.0
    assert [e.start for e in evidence] == sorted(e.start for e in evidence)
    assert max(e.score for e in evidence) == pytest.approx(1.0)


@pytest.mark.parametrize("depth", [0.1, 0.9])
def test_needle_is_kept_at_depth(engine: InfiniRetri, depth: float) -> None:
    document = haystack.build(engine.tokenizer, HAYSTACK_TOKENS, depth)
    sel = engine.select(document, haystack.QUESTION)
    assert sel.tokens_read >= HAYSTACK_TOKENS * 0.95
    assert sel.num_chunks >= CHUNKS
    assert needle_kept(sel.evidence), f"needle lost at depth {depth}"
    assert sel.tokens_kept < sel.tokens_read / 5
    assert_provenance(document, sel.evidence)


def test_streamed_answer_at_middle_depth(engine: InfiniRetri) -> None:
    document = haystack.build(engine.tokenizer, HAYSTACK_TOKENS, 0.5)
    seen: list[Progress] = []
    stream = engine.stream_answer(
        document, haystack.QUESTION, progress=seen.append, max_new_tokens=30
    )
    pieces = list(stream)
    assert len(pieces) > 1, "the answer should arrive in several pieces"
    answer = stream.answer
    assert answer is not None
    assert "".join(pieces).strip() == answer.text
    assert haystack.word_recall(answer.text) >= 0.8, answer.text
    assert needle_kept(answer.evidence)
    assert_provenance(document, answer.evidence)
    # progress: one report per chunk, in order, ending with the whole document read
    assert [p.chunk for p in seen] == list(range(1, len(seen) + 1))
    assert seen[-1].tokens_read == seen[-1].tokens_total == answer.selection.tokens_read


def test_cache_never_exceeds_its_budget(engine: InfiniRetri) -> None:
    small = InfiniRetri(
        engine.model,
        engine.tokenizer,
        layer=engine.layer,
        chunk_size=256,
        max_cache_tokens=120,
        max_sentence_tokens=64,
    )
    document = haystack.build(engine.tokenizer, 3_000, 0.7)
    seen: list[Progress] = []
    sel = small.select(document, haystack.QUESTION, progress=seen.append)
    assert len(seen) >= 10
    assert all(0 < p.tokens_kept <= 120 for p in seen)
    assert sel.tokens_kept <= 120
    # every step read at most: prompt + question + cache budget + chunk
    parts = small.question_parts(haystack.QUESTION)
    assert sel.tokens_processed <= len(seen) * (parts.fixed_tokens + 120 + 256)
    assert needle_kept(sel.evidence)


def test_answer_budget_limits_what_the_writer_sees(engine: InfiniRetri) -> None:
    tight = InfiniRetri(
        engine.model, engine.tokenizer, layer=engine.layer, answer_max_tokens=60, max_new_tokens=8
    )
    document = haystack.build(engine.tokenizer, 2_000, 0.3)
    ans = tight.answer(document, haystack.QUESTION)
    assert 0 < ans.writer_tokens <= 60
    assert ans.writer_evidence and set(ans.writer_evidence) <= set(ans.evidence)
    assert len(ans.writer_evidence) < len(ans.evidence)


def test_short_document_is_read_in_one_chunk(engine: InfiniRetri) -> None:
    sel = engine.select("Alvar was born in Tromso. He later moved away.", "Where was Alvar born?")
    assert sel.num_chunks == 1
    assert any("Tromso" in e.text for e in sel.evidence)


@pytest.mark.parametrize("bad", [None, b"bytes", 42, "", "   \n "])
def test_bad_document_or_question_is_a_clear_error(engine: InfiniRetri, bad: object) -> None:
    with pytest.raises(InputError):
        engine.select(bad, "What?")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        engine.select("Some text.", bad)  # type: ignore[arg-type]


def test_layer_out_of_range_is_rejected(engine: InfiniRetri) -> None:
    from infiniretri_core import ConfigError

    with pytest.raises(ConfigError, match="out of range"):
        InfiniRetri(engine.model, engine.tokenizer, layer=30)
    assert InfiniRetri(engine.model, engine.tokenizer, layer=-1).layer == 29
    assert InfiniRetri(engine.model, engine.tokenizer, layer="last").layer == 29


def test_auto_layer_is_a_middle_layer_that_finds_the_key(engine: InfiniRetri) -> None:
    """SmolLM2-135M retrieves well around layers 14-23 of 30 and badly at the last layer.
    Plain needle probes cannot tell layer 15 from 18 (MRR 0.96 and 0.94); dense probes can
    (0.23 and 0.47), and "auto" must choose a layer that finds the key, not the template."""
    import json

    from infiniretri_core.calibration import SETTINGS, Probing, cache_path

    assert 10 <= engine.layer <= 25
    cfg = engine.config
    probing = Probing(engine.model, engine.tokenizer, cfg.prompt_template, cfg.phrase_token_num)
    data = json.loads(cache_path(probing).read_text())
    assert data["version"] == SETTINGS.layer_version
    assert data["layer"] == engine.layer
    assert data["by_kind"]["dense"][str(engine.layer)] >= 0.4
    assert data["by_kind"]["needle"][str(engine.layer)] >= 0.8


def test_every_probe_setting_is_part_of_the_calibration_key(engine: InfiniRetri) -> None:
    """A cached calibration is only reused for the settings it was made with: changing any
    probe setting, of either calibration, changes both cache files' names."""
    from dataclasses import fields, replace

    from infiniretri_core.calibration import SETTINGS, Probing, cache_path, link_cache_path

    cfg = engine.config
    base = Probing(engine.model, engine.tokenizer, cfg.prompt_template, cfg.phrase_token_num)
    variants = [
        base,
        replace(base, template=base.template + " "),
        replace(base, phrase_token_num=4),
    ]
    for f in fields(SETTINGS):
        changed = replace(SETTINGS, **{f.name: getattr(SETTINGS, f.name) + 1})
        variants.append(replace(base, settings=changed))
    assert len({cache_path(p) for p in variants}) == len(variants)
    assert len({link_cache_path(p, engine.layer) for p in variants}) == len(variants)
    assert cache_path(replace(base, settings=replace(SETTINGS))) == cache_path(base)


def test_calibrations_draw_their_probes_from_the_settings_in_their_key(
    engine: InfiniRetri, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from infiniretri_core.calibration import SETTINGS, Probing, calibrate, calibrate_link, layer
    from infiniretri_core.calibration import link_head as link

    drawn: list[tuple[str, int, object]] = []

    class Drawn(Exception):
        pass

    def spy(kind: str):  # type: ignore[no-untyped-def]
        def draw(tok, rng, n, settings):  # type: ignore[no-untyped-def]
            drawn.append((kind, n, settings))
            raise Drawn  # what was asked for is all this test needs

        return draw

    monkeypatch.setattr(layer, "needle_probes", spy("needle"))
    monkeypatch.setattr(link, "link_probes", spy("link"))
    few = replace(SETTINGS, needle_probes=1, link_probes=2, context_tokens=96)
    cfg = engine.config
    probing = Probing(
        engine.model, engine.tokenizer, cfg.prompt_template, cfg.phrase_token_num, settings=few
    )
    for run in (lambda: calibrate(probing), lambda: calibrate_link(probing, engine.layer)):
        with pytest.raises(Drawn):
            run()
    assert drawn == [("needle", 1, few), ("link", 2, few)]


def test_dense_probes_differ_only_by_key(tokenizer) -> None:  # type: ignore[no-untyped-def]
    import random

    from infiniretri_core import calibration

    probes = calibration.dense_probes(tokenizer, random.Random(0), 3)
    for sentences, at, question in probes:
        texts = [tokenizer.decode(s) for s in sentences]
        assert len(texts) >= 50 and sum(map(len, sentences)) >= calibration.SETTINGS.context_tokens
        assert all(t.startswith(" The locker code of ") for t in texts)
        key = question.removeprefix("What is the locker code of ").removesuffix("?")
        assert [i for i, t in enumerate(texts) if f" of {key} is " in t] == [at]
        first, last = key.split()
        assert sum(f" of {first} " in t or f" {last} is " in t for t in texts) > 3


def test_closing_a_stream_early_frees_the_model(
    engine: InfiniRetri, long_answer: tuple[str, str]
) -> None:
    # 300 tokens take ~24 s here; a closed stream must stop at the next token instead.
    stream = engine.stream_answer(*long_answer, max_new_tokens=300)
    next(stream)
    stream.close()
    assert engine.lock.acquire(timeout=10), "the generation went on after close()"
    engine.lock.release()
    assert engine.select("Alvar was born in Tromso.", "Where was Alvar born?").evidence


def test_write_answers_from_a_given_context(engine):
    context = "The museum's night porter is called Aldo Brandt. He keeps a grey cat."
    text = engine.write(context, "What is the night porter called?", max_new_tokens=12)
    assert "Aldo" in text or "Brandt" in text
    with pytest.raises(InputError):
        engine.write(b"bytes", "What?")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        engine.write(context, "  ")
