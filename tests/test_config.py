from __future__ import annotations

import pytest
from infiniretri_core import ConfigError, InfiniRetriConfig
from infiniretri_core.config import DEFAULT_PROMPT, DEFAULT_SCORING, PRESETS


def test_defaults_are_the_authors() -> None:
    cfg = InfiniRetriConfig()
    assert (cfg.chunk_size, cfg.top_k, cfg.phrase_token_num) == (1024, 300, 8)
    assert cfg.use_question_weight is True
    assert cfg.prompt_template == DEFAULT_PROMPT
    assert cfg.max_new_tokens == 128


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("chunk_size", 0, "chunk_size must be >= 16"),
        ("top_k", 0, "top_k must be >= 1"),
        ("top_k", -5, "top_k must be >= 1"),
        ("top_k", 2.5, "top_k must be an int"),
        ("phrase_token_num", 0, "phrase_token_num"),
        ("layer", "middle", "layer must be"),
        ("layer", True, "layer must be"),
        ("max_sentence_tokens", 4096, "must not exceed"),
        ("max_cache_tokens", 0, "max_cache_tokens"),
        ("prompt_template", "no fields", "{context}"),
        ("prompt_template", "{question} then {context}", "before"),
        ("prompt_template", "{context} {question} {extra}", "other format fields"),
        ("use_question_weight", "yes", "bool"),
    ],
)
def test_bad_values_are_rejected_clearly(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        InfiniRetriConfig(**{field: value})  # type: ignore[arg-type]


def test_replace_validates_and_rejects_unknown_names() -> None:
    cfg = InfiniRetriConfig().replace(top_k=200, layer=17)
    assert cfg.top_k == 200 and cfg.layer == 17
    with pytest.raises(ConfigError, match="unknown option"):
        InfiniRetriConfig().replace(topk=3)
    with pytest.raises(ConfigError):
        InfiniRetriConfig().replace(chunk_size=8)


def test_config_is_frozen() -> None:
    cfg = InfiniRetriConfig()
    with pytest.raises(AttributeError):
        cfg.top_k = 5  # type: ignore[misc]


def test_the_field_defaults_are_the_default_preset() -> None:
    cfg = InfiniRetriConfig()
    assert cfg.scoring == DEFAULT_SCORING
    assert all(getattr(cfg, k) == v for k, v in PRESETS[DEFAULT_SCORING].items())


def test_presets_set_their_options_and_explicit_options_override_them() -> None:
    paper = InfiniRetriConfig.preset("paper")
    assert (paper.link_head, paper.passes, paper.match_weight) == (None, 1, 0.0)
    assert paper.writer_order == "document" and paper.scoring == "paper"
    rec = InfiniRetriConfig(chunk_size=512).replace(scoring="recommended")
    assert rec.scoring == "recommended" and rec.chunk_size == 512
    assert all(getattr(rec, k) == v for k, v in PRESETS["recommended"].items())
    mixed = InfiniRetriConfig.preset("recommended", passes=1)
    assert mixed.passes == 1 and mixed.link_head == PRESETS["recommended"]["link_head"]
    assert mixed.scoring == "custom"
    with pytest.raises(ConfigError, match="unknown scoring preset"):
        InfiniRetriConfig.preset("best")


def test_each_preset_sets_how_the_cache_keeps_so_switching_back_restores_the_paper() -> None:
    focused = InfiniRetriConfig.preset("focused")
    assert (focused.heads, focused.null_question) == ("auto", "N/A")
    assert (focused.keep, focused.top_k, focused.scoring) == ("best", 1000, "focused")
    assert (focused.pool_tokens, focused.step_top_k) == (None, 300)
    pooled = InfiniRetriConfig.preset("focused", pool_tokens=1000)
    assert pooled.pool_tokens == 1000 and pooled.scoring == "custom"
    assert pooled.replace(scoring="paper").pool_tokens is None  # every preset sets it
    with pytest.raises(ConfigError, match="keep='best'"):
        pooled.replace(keep="step")  # the paper's rule has no best scores to pool by
    back = focused.replace(scoring="paper")
    assert (back.heads, back.null_question, back.keep) == (None, None, "step")
    assert back.step_top_k is None
    assert back == InfiniRetriConfig(top_k=1000)  # the cache's size is the user's to set
