"""The scoring pipeline: the factory's rules, a user's own scorer, every option with several
questions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
from infiniretri_core import ConfigError, InfiniRetri, InfiniRetriConfig, haystack, scoring
from infiniretri_core.bench import multihop
from infiniretri_core.scoring.focused import FocusedHeads


@dataclass(frozen=True)
class Latest(scoring.Scorer):
    """A toy scorer: the later a context token, the higher its score (attention unused)."""

    layer: int

    def layers(self) -> list[int]:
        return [self.layer]

    def score(self, q: scoring.QuestionRows) -> torch.Tensor:
        n = q.rows[self.layer][:, :, q.context_cols].shape[-1]
        return torch.arange(n, dtype=torch.float32)


def test_the_factory_builds_what_the_options_say() -> None:
    cfg = InfiniRetriConfig()
    plain = scoring.build(cfg, 18, None)
    assert plain == scoring.Pipeline(scoring.LayerSum(18, 8, True))
    null = scoring.build(cfg.replace(match_weight=2.0, null_question="N/A"), 18, None)
    assert isinstance(null.scorer, scoring.NullDifference) and null.scorer.companion == "N/A"
    both = scoring.build(cfg.replace(match_weight=2.0), 18, 6)
    assert [type(t) for t in both.terms] == [scoring.MatchTerm, scoring.LinkTerm]
    assert both.layers() == [18] and both.link() == (18, 6)
    heads = scoring.build(cfg.replace(heads="24.4,15.6"), 24, None)
    assert heads.layers() == [15, 24] and heads.link() is None
    focused = scoring.build(cfg.replace(heads="24.4,15.6", null_question="N/A"), 24, None)
    assert focused.scorer == FocusedHeads(((24, 4), (15, 6)), "N/A", 2.0)
    auto = cfg.replace(heads="auto", null_question="N/A", head_cut=1.5)
    assert scoring.build(auto, 15, None, heads=((15, 6),)).scorer == FocusedHeads(
        ((15, 6),), "N/A", 1.5
    )
    with pytest.raises(ConfigError, match="resolved"):
        scoring.build(auto, 15, None)


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"heads": "auto"}, "null_question"),
        ({"heads": "24.4", "link_head": 3}, "head of the scoring layer"),
        ({"null_question": "N/A", "link_head": 3}, "never measured"),
    ],
)
def test_pairs_that_cannot_combine_are_refused_with_the_reason(
    options: dict[str, object], why: str
) -> None:
    with pytest.raises(ConfigError, match=why):
        InfiniRetriConfig(**options)  # type: ignore[arg-type]


def test_a_users_scorer_replaces_the_paper_scoring(engine: InfiniRetri) -> None:
    """The latest tokens score highest, so the cache ends as the document's last sentences
    (however the attention looks); the exact-match term still applies on top."""
    eng = InfiniRetri(
        engine.model, engine.tokenizer, scorer=Latest(engine.layer), top_k=8, max_cache_tokens=64
    )
    assert eng.layer == engine.layer and isinstance(eng.pipeline.scorer, Latest)
    doc = haystack.build(engine.tokenizer, 2500, 0.3)
    sel = eng.select(doc, haystack.QUESTION)
    n = len(eng.prepare(doc).sentences)
    assert sel.num_chunks >= 2
    assert [e.sentence for e in sel.evidence] == list(range(n - len(sel.evidence), n))
    with pytest.raises(ConfigError, match="replaces heads and null_question"):
        InfiniRetri(engine.model, engine.tokenizer, scorer=Latest(18), null_question="N/A")


def test_three_two_hop_questions_read_together_keep_both_hops(engine: InfiniRetri) -> None:
    """link_head + passes with several questions: each keeps its bridge and its answer."""
    eng = InfiniRetri(
        engine.model, engine.tokenizer, layer=engine.layer, link_head="auto", passes=2
    )
    cases = [
        multihop.generate(task, engine.tokenizer, 1200, seed)
        for task, seed in (("two_hop", 0), ("two_hop_reverse", 1), ("two_hop", 2))
    ]
    document = " ".join(c.document for c in cases)
    selections = eng.select_many(document, [c.question for c in cases])
    for case, sel in zip(cases, selections, strict=True):
        kept = " ".join(e.text for e in sel.evidence)
        assert all(n in kept for n in case.needles), (case.name, case.needles, kept)
