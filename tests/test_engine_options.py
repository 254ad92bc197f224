"""An engine's options travel whole: ``engine.options()`` rebuilds an equal engine in this
process (a new prompt in the LlamaIndex synthesizer) and in a worker process (``bench
compare`` and ``bench scale``), keeping a user's scorer and nothing calibrated again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from infiniretri_core import ConfigError, EngineOptions, InfiniRetri, calibration
from infiniretri_core.bench import compare
from infiniretri_core.scoring import QuestionRows, Scorer

from infiniretri_integrations.llama_index import InfiniRetriSynthesizer

DOCUMENT = "Alvar was born in Tromso. He later moved to Lisbon. The ferry ran twice a day."
QUESTION = "Where was Alvar born?"


@dataclass(frozen=True)
class Latest(Scorer):
    """Later tokens score higher (whatever the attention): a scorer no config can make."""

    layer: int

    def layers(self) -> list[int]:
        return [self.layer]

    def score(self, q: QuestionRows) -> torch.Tensor:
        n = q.rows[self.layer].shape[-1]
        cols = torch.arange(n)[q.context_cols]
        return cols.float()


@pytest.fixture
def no_calibration(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Calibrations called from here on are recorded (and answer 3), not run."""
    called: list[str] = []

    def fake(kind: str) -> Any:
        return lambda *args: called.append(kind) or 3

    monkeypatch.setattr(calibration, "calibrated_layer", fake("layer"))
    monkeypatch.setattr(calibration, "calibrated_link_head", fake("link_head"))
    return called


@pytest.fixture
def custom(engine: InfiniRetri, no_calibration: list[str]) -> InfiniRetri:
    """A user's scorer, and a link head "auto" resolved (to 5) without calibrating."""
    config = engine.config.replace(link_head="auto", top_k=8)
    scorer = Latest(engine.layer)
    return InfiniRetri.from_options(
        EngineOptions(engine.model, engine.tokenizer, config, scorer, engine.layer, 5)
    )


def test_options_rebuild_an_equal_engine(custom: InfiniRetri, no_calibration: list[str]) -> None:
    again = InfiniRetri.from_options(custom.options())
    assert again.options() == custom.options()
    assert again.config == custom.config and again.config.link_head == "auto"
    assert (again.layer, again.link_head) == (custom.layer, 5)
    assert again.pipeline == custom.pipeline and isinstance(again.pipeline.scorer, Latest)
    assert again.lock is custom.lock  # one model, one lock
    assert no_calibration == []
    assert again.select(DOCUMENT, QUESTION).evidence == custom.select(DOCUMENT, QUESTION).evidence


def test_replace_keeps_what_it_does_not_touch(
    custom: InfiniRetri, no_calibration: list[str]
) -> None:
    options = custom.options()
    prompt = options.replace(prompt_template="Text: {context}\nQ: {question}\nA:")
    assert (prompt.scorer, prompt.layer, prompt.link_head) == (
        Latest(custom.layer),
        custom.layer,
        5,
    )
    assert InfiniRetri.from_options(prompt).link_head == 5 and no_calibration == []
    relinked = InfiniRetri.from_options(options.replace(link_head="auto", link_weight=1.0))
    assert relinked.link_head == 5  # unchanged: still resolved
    assert InfiniRetri.from_options(options.replace(link_head=7)).link_head == 7
    plain = options.replace(link_head=None)
    assert InfiniRetri.from_options(plain).link_head is None
    assert InfiniRetri.from_options(plain.replace(link_head="auto")).link_head == 3
    assert no_calibration == ["link_head"]  # only where "auto" came back unresolved


def test_the_synthesizer_keeps_the_scorer_and_its_writer_follows(
    custom: InfiniRetri, no_calibration: list[str]
) -> None:
    from llama_index.core.prompts import PromptTemplate

    synthesizer = InfiniRetriSynthesizer(custom, max_new_tokens=4)
    synthesizer.update_prompts(
        {"text_qa_template": PromptTemplate("Facts: {context_str}\nQ: {query_str}\nA:")}
    )
    rebuilt = synthesizer.engine
    assert rebuilt is not custom
    assert rebuilt.config.prompt_template == "Facts: {context}\nQ: {question}\nA:"
    assert rebuilt.options().scorer == Latest(custom.layer)
    assert (rebuilt.layer, rebuilt.link_head) == (custom.layer, 5)
    assert no_calibration == []
    # the LLM the base class answers with (query engines) reads with the new engine
    assert synthesizer._llm.engine is rebuilt  # type: ignore[attr-defined]


def test_a_worker_process_loads_the_same_engine(
    custom: InfiniRetri, no_calibration: list[str]
) -> None:
    job = json.loads(json.dumps(compare.engine_args(custom)))  # what a worker is handed
    worker = InfiniRetri.from_portable(job)  # what `bench compare` / `bench scale` workers do
    assert worker.model is not custom.model
    assert worker.config == custom.config
    assert worker.options().scorer == Latest(custom.layer)
    assert (worker.layer, worker.link_head) == (custom.layer, 5)
    assert worker.pipeline == custom.pipeline
    assert no_calibration == []


@dataclass(frozen=True)
class Unpicklable(Latest):
    hook: Any = None


def test_a_scorer_a_worker_cannot_load_is_refused_with_the_reason(engine: InfiniRetri) -> None:
    scorer = Unpicklable(engine.layer, hook=lambda: None)
    options = EngineOptions(engine.model, engine.tokenizer, engine.config, scorer, engine.layer)
    with pytest.raises(ConfigError, match="cannot be pickled"):
        options.portable()
    Main = type("Main", (Latest,), {"__module__": "__main__"})
    options = EngineOptions(engine.model, engine.tokenizer, engine.config, Main(engine.layer))
    with pytest.raises(ConfigError, match="defined in __main__"):
        options.portable()
