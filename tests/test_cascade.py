"""The cascade by one word (``ranker="auto"``): for the embedded reader, ``scoring="focused"``
brings Qwen2.5-Coder-1.5B, which ranks what the read kept and writes, one copy of its weights;
any other read or reader has no ranker; a missing ranker is a warning, never a failure."""

from __future__ import annotations

import warnings

import pytest
from infiniretri_core import InfiniRetri, haystack, packaged
from infiniretri_core.cascade import CASCADE_SCORING, DEFAULT_RANKER, choose_ranker
from infiniretri_core.config import InfiniRetriConfig
from infiniretri_core.engine import shared_ranker, shared_writer
from infiniretri_core.errors import ModelError
from infiniretri_core.models import EMBEDDED_NAME
from infiniretri_core.rerank import RANKER_OPTIONS

from infiniretri_integrations._engine import shared_engine


def choose(model: object = None, ranker: object = "auto", config=None, **options):  # type: ignore[no-untyped-def]
    return choose_ranker(model, ranker, config, options)


@pytest.fixture(scope="module")
def cascade() -> InfiniRetri:
    return shared_engine(scoring=CASCADE_SCORING)


def test_auto_ranks_the_embedded_readers_focused_read_only() -> None:
    assert choose(scoring="focused") == DEFAULT_RANKER
    assert choose(scoring="focused", top_k=500) == DEFAULT_RANKER
    assert choose(EMBEDDED_NAME, scoring="focused") == DEFAULT_RANKER
    assert choose(config=InfiniRetriConfig.preset("focused")) == DEFAULT_RANKER
    assert choose() is None  # the default read, the paper's
    assert choose(scoring="fast") is choose(scoring="paper") is None
    assert choose(config=InfiniRetriConfig.preset("focused", top_k=5)) is None  # custom
    assert choose("some/other-model", scoring="focused") is None
    assert choose(ranker=None, scoring="focused") is None
    assert choose(ranker="x") == "x"


def test_fast_is_the_papers_read() -> None:
    fast = InfiniRetriConfig.preset("fast")
    assert fast == InfiniRetriConfig.preset("paper") == InfiniRetriConfig()
    assert fast.scoring == "paper"
    assert InfiniRetriConfig.preset("fast", top_k=9).top_k == 9


def test_a_missing_ranker_warns_and_the_read_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(entry: packaged.PackagedGGUF) -> list:  # type: ignore[type-arg]
        raise ModelError(f"{entry.name} is not installed")

    monkeypatch.setattr(packaged, "parts", missing)
    with pytest.warns(UserWarning, match="ranker is not available.*has none.*ranker=None"):
        assert choose(scoring="focused") is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert choose(ranker=None, scoring="focused") is None  # chosen: no warning
        assert choose() is None


def test_the_default_reads_without_a_ranker(default_engine: InfiniRetri) -> None:
    assert default_engine.ranker is None and default_engine.config.scoring == "paper"


def test_the_focused_read_gets_the_ranker_on_one_copy_of_its_weights(
    cascade: InfiniRetri,
) -> None:
    ranker = cascade.ranker
    assert cascade.config.scoring == CASCADE_SCORING
    assert ranker is not None and ranker is shared_ranker(DEFAULT_RANKER)
    assert "qwen2" in ranker.model.config.model_type
    assert ranker.config == InfiniRetriConfig().replace(**RANKER_OPTIONS)
    assert cascade.writer is ranker  # ranks and writes: loaded once
    assert shared_writer(DEFAULT_RANKER).model is ranker.model
    assert shared_writer(DEFAULT_RANKER).lock is ranker.lock
    assert cascade.options().portable()["writer"] == "ranker"  # a worker loads it once
    assert "scoring='focused', ranker='" in repr(cascade)
    assert "qwen2.5-coder-1.5b" in repr(cascade)


def test_the_cascade_ranks_the_needle_first(cascade: InfiniRetri) -> None:
    document = haystack.build(cascade.tokenizer, 3000, 0.5)
    selection = cascade.select(document, haystack.QUESTION)
    best = max(selection.evidence, key=lambda e: e.score)
    assert "Dolores Park" in best.text, [e.text for e in selection.evidence][:5]
    assert best.score == pytest.approx(1.0)  # the ranker's scores, normalised to the best
