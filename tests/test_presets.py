"""The ``"recommended"`` preset does what its parts were chosen for, together: both hops of a
two-hop question whose answer comes before its bridge, and the asked key first among
look-alike keys (the paper's scoring is pinned in ``test_pinned_reads.py``)."""

from __future__ import annotations

import pytest
from infiniretri_core import InfiniRetri
from infiniretri_core.bench import multihop, ruler


@pytest.fixture(scope="module")
def recommended(engine: InfiniRetri) -> InfiniRetri:
    eng = InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, scoring="recommended")
    assert eng.config.scoring == "recommended" and eng.link_head is not None
    return eng


def test_recommended_keeps_both_hops_read_in_reverse(recommended: InfiniRetri) -> None:
    case = multihop.generate("two_hop_reverse", recommended.tokenizer, 1200, 1)
    kept = " ".join(e.text for e in recommended.select(case.document, case.question).evidence)
    assert all(n in kept for n in case.needles), (case.needles, kept)


def test_recommended_ranks_the_asked_key_first(recommended: InfiniRetri) -> None:
    for seed in (0, 1):
        case = ruler.generate("multi_key_dense", recommended.tokenizer, 2500, seed)
        ranked = sorted(
            recommended.select(case.document, case.question).evidence, key=lambda e: -e.score
        )
        assert case.needles[0] in ranked[0].text, (seed, [e.text for e in ranked[:3]])
