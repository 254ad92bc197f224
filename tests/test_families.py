"""Every causal-LM family transformers has, proven on tiny random-weight models.

For each family a seeded fp32 model is built from its config class with the family's quirks
switched on (sliding windows shorter than the input, GQA, q/k norm, scaled queries, MoE), and:
the captured question rows of a global and of a sliding-window layer equal eager attention's
``output_attentions`` (1e-4); several question blocks keep each layer's window; the engine
selects end to end with valid offsets; a saved copy loads offline with ``from_pretrained`` and
selects the same. Families whose attention the capture cannot match are refused with
``ModelError``. The real model (SmolLM2-135M, Llama) is tested in ``test_probe.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
import transformers
from infiniretri_core import (
    ConfigError,
    InfiniRetri,
    ModelError,
    calibration,
    families,
    probe,
    scoring,
)
from infiniretri_core.config import InfiniRetriConfig
from infiniretri_core.prompt import PromptParts, prompt_parts
from infiniretri_core.reading import step

WINDOW = 16
"""Sliding window (tokens) of the windowed layers: far shorter than every test input."""

COMMON: dict[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,  # GQA: two query heads per key/value head
    "max_position_embeddings": 2048,
    "initializer_range": 0.2,  # peaked attention: a wrong scale or norm shows above 1e-4
    "tie_word_embeddings": True,
}
MIXED = ["sliding_attention", "full_attention", "sliding_attention"]
QWEN_WINDOW = {"use_sliding_window": True, "sliding_window": WINDOW}


@dataclass(frozen=True)
class Family:
    name: str
    config: str
    model: str
    options: dict[str, Any] = field(default_factory=dict)
    global_layer: int | None = 2
    """A layer that sees the whole input (``None``: the family has none here)."""
    sliding_layer: int | None = None
    """A layer with a window of ``WINDOW`` tokens (``None``: the family has none)."""
    special: str = ""

    def classes(self) -> tuple[Any, Any]:
        config, model = (
            getattr(transformers, self.config, None),
            getattr(transformers, self.model, None),
        )
        if config is None or model is None:
            pytest.skip(f"transformers {transformers.__version__} has no {self.model}")
        return config, model


FAMILIES = [
    Family("llama", "LlamaConfig", "LlamaForCausalLM", special="GQA"),
    Family(
        "mistral",
        "MistralConfig",
        "MistralForCausalLM",
        {"sliding_window": WINDOW},
        None,
        2,
        "every layer windowed, GQA",
    ),
    Family(
        "qwen2",
        "Qwen2Config",
        "Qwen2ForCausalLM",
        {**QWEN_WINDOW, "max_window_layers": 1},  # layers >= 1 windowed
        0,
        2,
        "sliding layers above max_window_layers, GQA",
    ),
    Family(
        "qwen2_moe",
        "Qwen2MoeConfig",
        "Qwen2MoeForCausalLM",
        {
            **QWEN_WINDOW,
            "layer_types": MIXED,
            "num_experts": 4,
            "num_experts_per_tok": 2,
            "moe_intermediate_size": 32,
            "shared_expert_intermediate_size": 32,
        },
        1,
        2,
        "MoE (shared expert), sliding/full layers, GQA",
    ),
    Family(
        "mixtral",
        "MixtralConfig",
        "MixtralForCausalLM",
        {"sliding_window": WINDOW, "num_local_experts": 4, "num_experts_per_tok": 2},
        None,
        1,
        "MoE, every layer windowed, GQA",
    ),
    Family(
        "qwen3",
        "Qwen3Config",
        "Qwen3ForCausalLM",
        {"head_dim": 16, **QWEN_WINDOW, "layer_types": MIXED},
        1,
        0,
        "q/k norm, sliding/full layers, GQA",
    ),
    Family(
        "qwen3_moe",
        "Qwen3MoeConfig",
        "Qwen3MoeForCausalLM",
        {"head_dim": 16, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32},
        special="MoE, q/k norm, GQA",
    ),
    Family(
        "olmoe",
        "OlmoeConfig",
        "OlmoeForCausalLM",
        {"num_experts": 4, "num_experts_per_tok": 2},
        special="MoE, q/k norm over all heads, GQA",
    ),
    Family(
        "gemma3",
        "Gemma3TextConfig",
        "Gemma3ForCausalLM",
        {
            "head_dim": 16,
            "sliding_window": WINDOW,
            "layer_types": MIXED,
            "query_pre_attn_scalar": 8,  # scaling 8**-0.5, not head_dim**-0.5
        },
        1,
        2,
        "q/k norm, scaled queries, sliding/full layers (own RoPE each), GQA",
    ),
    Family(
        "phi3",
        "Phi3Config",
        "Phi3ForCausalLM",
        {"sliding_window": WINDOW},
        None,
        1,
        "fused qkv, every layer windowed, GQA",
    ),
    Family("olmo2", "Olmo2Config", "Olmo2ForCausalLM", special="q/k norm over all heads, GQA"),
    Family(
        "granite",
        "GraniteConfig",
        "GraniteForCausalLM",
        {
            "attention_multiplier": 0.5,  # scaling 0.5, not head_dim**-0.5
            "embedding_multiplier": 2.0,
            "residual_multiplier": 0.5,
            "logits_scaling": 2.0,
        },
        special="scaled queries (attention_multiplier), GQA",
    ),
    Family(
        "cohere",
        "CohereConfig",
        "CohereForCausalLM",
        {"use_qk_norm": True, "logit_scale": 0.5},
        special="per-head q/k LayerNorm, interleaved RoPE, GQA",
    ),
    Family(
        "stablelm",
        "StableLmConfig",
        "StableLmForCausalLM",
        {"qk_layernorm": True, "partial_rotary_factor": 0.25, "use_parallel_residual": True},
        special="per-head q/k LayerNorm, partial RoPE, GQA",
    ),
]
BY_NAME = {f.name: f for f in FAMILIES}

REFUSED = [
    Family(
        "gemma2",
        "Gemma2Config",
        "Gemma2ForCausalLM",
        {
            "head_dim": 16,
            "sliding_window": WINDOW,
            "layer_types": MIXED,
            "attn_logit_softcapping": 50.0,
            "query_pre_attn_scalar": 8,
        },
        1,
        2,
        "attention logit soft-capping",
    ),
    Family(
        "gemma3_bidirectional",
        "Gemma3TextConfig",
        "Gemma3ForCausalLM",
        {"head_dim": 16, "use_bidirectional_attention": True},
        special="bidirectional attention",
    ),
]
REFUSAL = {"gemma2": "soft-capped at 50.0", "gemma3_bidirectional": "bidirectionally"}

DOCUMENT = (
    "The lighthouse keeper wrote in his log every evening. "
    "Storms came from the west in the autumn months. "
    "The special magic number for Isolde is 48213. "
    "Fishing boats returned to the harbour before dark. "
    "A new bell was hung in the chapel tower last spring. "
    "The baker on the quay sold rye bread and honey cakes. "
    "Children walked along the sea wall after school. "
    "The ferry to the island ran twice a day in summer. "
    "Old nets were mended on the pier by the fishermen. "
    "Gulls nested on the cliffs above the northern beach. "
    "The harbour master measured the river path before the winter came. "
    "Merchants from the south brought salt, wool and copper pots. "
    "In the long evenings the villagers sang in the tavern by the quay. "
    "The school had one teacher and thirty pupils of every age. "
    "A storm in the year of the flood broke the eastern jetty."
)
QUESTION = "What is the special magic number for Isolde?"
READ: dict[str, Any] = {
    "chunk_size": 64,
    "top_k": 8,
    "max_sentence_tokens": 24,
    "max_cache_tokens": 48,
}


def _config(family: Family, tokenizer: Any) -> Any:
    config_class, _ = family.classes()
    ids = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id}
    return config_class(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.eos_token_id,
        **ids,
        **COMMON,
        **family.options,
    )


def _build(family: Family, tokenizer: Any, attn: str) -> Any:
    _, model_class = family.classes()
    torch.manual_seed(0)
    model = model_class._from_config(_config(family, tokenizer), attn_implementation=attn)
    return model.float().eval()


Pairs = Callable[[str], tuple[Any, Any]]


@pytest.fixture(scope="module")
def pairs(tokenizer: Any) -> Pairs:
    """Per family: (the engine's model, an eager model with the same weights), built once."""
    built: dict[str, tuple[Any, Any]] = {}

    def get(name: str) -> tuple[Any, Any]:
        if name not in built:
            family = BY_NAME[name]
            ours = _build(family, tokenizer, "sdpa")
            eager = _build(family, tokenizer, "eager")
            eager.load_state_dict(ours.state_dict())
            probe.install(ours)
            built[name] = ours, eager
        return built[name]

    return get


def _parts(tokenizer: Any) -> PromptParts:
    return prompt_parts(tokenizer, "Context:\n{context}\n\nQuestion:\n{question}", QUESTION)


CAPTURES = [
    pytest.param(f.name, kind, id=f"{f.name}-{kind}")
    for f in FAMILIES
    for kind, layer in (("global", f.global_layer), ("sliding", f.sliding_layer))
    if layer is not None
]


@pytest.mark.parametrize(("name", "kind"), CAPTURES)
def test_capture_equals_eager_attention(name: str, kind: str, pairs: Pairs, tokenizer: Any) -> None:
    family = BY_NAME[name]
    ours, eager = pairs(name)
    layer = family.global_layer if kind == "global" else family.sliding_layer
    assert layer is not None
    context = tokenizer(DOCUMENT[:400], add_special_tokens=False)["input_ids"]
    ids, _, query_start = _parts(tokenizer).build(context)
    n = ids.shape[1]
    assert n - query_start > 2 and query_start > 4 * WINDOW  # question rows far past the window

    rows = probe.attention_rows(ours, ids, query_start, [layer])[layer][0]  # (H, Q, n)
    with torch.inference_mode():
        ref = eager(input_ids=ids, output_attentions=True).attentions[layer][0, :, query_start:]
    assert rows.shape == ref.shape == (4, n - query_start, n)
    torch.testing.assert_close(rows, ref.float(), atol=1e-4, rtol=0)

    # the rows are probability distributions, far from uniform (so a wrong scale shows)
    torch.testing.assert_close(rows.sum(-1), torch.ones(rows.shape[:2]), atol=1e-4, rtol=0)
    seen = torch.arange(n)[None, :] <= torch.arange(query_start, n)[:, None]
    uniform = seen / seen.sum(-1, keepdim=True)
    assert (rows - uniform).abs().max() > 0.05
    # a sliding layer gives nothing beyond its window, which a global mask would not do
    far = torch.arange(n)[None, :] <= torch.arange(query_start, n)[:, None] - WINDOW
    far_mass = rows[:, far].sum()
    assert (far_mass == 0) if kind == "sliding" else (far_mass > 0.5)
    expected = WINDOW if kind == "sliding" else None
    assert families.attention_windows(ours)[layer] == expected


SLIDING = [f.name for f in FAMILIES if f.sliding_layer is not None]


@pytest.mark.parametrize("name", SLIDING)
def test_several_questions_keep_each_layer_window(name: str, pairs: Pairs, tokenizer: Any) -> None:
    """Two question blocks in one step (a 4D mask): the second block's rows equal a read of
    it alone, on every layer; a 4D mask given as is would switch the windows off."""
    ours, _ = pairs(name)
    parts = _parts(tokenizer)
    other = PromptParts(parts.prefix, parts.middle, parts.suffix, parts.question[:-3])
    context = tokenizer(DOCUMENT[:400], add_special_tokens=False)["input_ids"]
    ctx = slice(len(parts.prefix), len(parts.prefix) + len(context))
    two = step.build(parts.prefix, context, [step.Block(other, ctx), step.Block(parts, ctx)])
    alone = step.build(parts.prefix, context, [step.Block(parts, ctx)])
    assert two.mask is not None and alone.mask is None
    q0, q1 = two.spans[1]
    cols = torch.cat([torch.arange(ctx.stop), torch.arange(q0 - len(parts.middle), q1)])
    layers = list(range(len(families.decoder_layers(ours))))
    got = probe.attention_rows(ours, two.ids, two.query_start, layers, two.mask, two.positions)
    want = probe.attention_rows(ours, alone.ids, alone.query_start, layers)
    for layer in layers:
        rows = got[layer][0][:, q0 - two.query_start :, cols]
        torch.testing.assert_close(rows, want[layer][0], atol=1e-4, rtol=0)


@pytest.mark.parametrize("name", [f.name for f in FAMILIES])
def test_select_then_save_and_load_offline(
    name: str, pairs: Pairs, tokenizer: Any, tmp_path: Path
) -> None:
    family = BY_NAME[name]
    ours, _ = pairs(name)
    layer = family.global_layer if family.global_layer is not None else family.sliding_layer
    engine = InfiniRetri(ours, tokenizer, layer=layer, **READ)
    selection = engine.select(DOCUMENT, QUESTION)
    assert selection.num_chunks >= 3 and selection.layer == layer
    assert selection.evidence
    for e in selection.evidence:
        assert DOCUMENT[e.start : e.end] == e.text
    (many,) = engine.select_many(DOCUMENT, [QUESTION])
    assert [e.text for e in many.evidence] == [e.text for e in selection.evidence]

    ours.save_pretrained(tmp_path, safe_serialization=True)
    tokenizer.save_pretrained(tmp_path)
    loaded = InfiniRetri.from_pretrained(str(tmp_path), dtype="float32", layer=layer, **READ)
    assert type(loaded.model) is type(ours)
    assert families.attention_windows(loaded.model) == families.attention_windows(ours)
    again = loaded.select(DOCUMENT, QUESTION)
    assert again.evidence
    for e in again.evidence:
        assert DOCUMENT[e.start : e.end] == e.text
    # the same weights read the same; with the tokenizer as loaded (transformers may load the
    # saved tokenizer as the family's class: Qwen2's merges "\n\n" that SmolLM2's splits)
    before = InfiniRetri(ours, loaded.tokenizer, layer=layer, **READ).select(DOCUMENT, QUESTION)
    assert [(e.start, e.end) for e in again.evidence] == [(e.start, e.end) for e in before.evidence]
    for a, b in zip(again.evidence, before.evidence, strict=True):
        assert a.score == pytest.approx(b.score, abs=1e-4)


@pytest.mark.parametrize("family", REFUSED, ids=[f.name for f in REFUSED])
def test_uncapturable_families_are_refused(family: Family, tokenizer: Any, tmp_path: Path) -> None:
    model = _build(family, tokenizer, "eager")
    reason = REFUSAL[family.name]
    with pytest.raises(ModelError, match=reason):
        families.check_capturable(model)
    with pytest.raises(ModelError, match=reason):
        InfiniRetri(model, tokenizer, layer=1, **READ)
    model.save_pretrained(tmp_path, safe_serialization=True)
    tokenizer.save_pretrained(tmp_path)
    with pytest.raises(ModelError):
        InfiniRetri.from_pretrained(str(tmp_path), dtype="float32", layer=1, **READ)


def test_gemma3_270m_layout_global_every_sixth_layer() -> None:
    """The real Gemma-3-270M's layout (its GGUF gives 18 layers, window 512 and Gemma3's
    default pattern of 6): layers 5, 11 and 17 see the whole input, the other 15 only the
    last 512 tokens."""
    config = transformers.Gemma3TextConfig(num_hidden_layers=18, sliding_window=512)
    model = type("Model", (), {"config": config})()
    windows = families.attention_windows(model)
    assert families.global_attention_layers(model) == [5, 11, 17]
    assert [w for i, w in enumerate(windows) if i not in (5, 11, 17)] == [512] * 15


def test_auto_layer_scores_global_layers_only(
    pairs: Pairs, tokenizer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step (prompt + cache + a 1,024-token chunk) and a calibration probe (~1,024 tokens)
    are longer than a real sliding window (512 on Gemma-3-270M): a sliding layer's question
    rows cannot see the chunk's start or the cache, so ``layer="auto"`` never scores them
    where full-attention layers exist; where every layer is windowed (Mistral), all are."""
    monkeypatch.setenv("INFINIRETRI_CACHE", str(tmp_path))
    ours, _ = pairs("gemma3")  # layers: sliding, full, sliding
    template = InfiniRetriConfig().prompt_template
    probing = calibration.Probing(ours, tokenizer, template, 8)
    result = calibration.calibrate(probing, probes=2, dense=2)
    assert sorted(result.mrr) == families.global_attention_layers(ours) == [1]
    assert result.layer == 1
    assert InfiniRetri(ours, tokenizer, layer="auto", **READ).layer == 1
    mistral, _ = pairs("mistral")
    assert families.global_attention_layers(mistral) == [0, 1, 2]


def test_every_family_is_listed_once() -> None:
    names = [f.name for f in FAMILIES + REFUSED]
    assert len(names) == len(set(names)) == len(BY_NAME) + len(REFUSED)


def test_a_windowed_layer_by_hand_is_refused_where_global_layers_exist(
    pairs: Pairs, tokenizer: Any
) -> None:
    """Gemma-3's sliding layers see 512 tokens of a 1,024-token chunk: chosen by hand
    (``layer``, ``"last"``, ``heads``, a scorer), they would score only the end of each step."""
    ours, _ = pairs("gemma3")  # layers: sliding, full, sliding
    why = r"sees only the last 16 tokens .* the layers that see the whole step are \[1\]"
    for options in ({"layer": 0}, {"layer": -1}, {"layer": "last"}, {"heads": "1.0,2.1"}):
        with pytest.raises(ConfigError, match=why):
            InfiniRetri(ours, tokenizer, **options, **READ)
    with pytest.raises(ConfigError, match="the scorer's layer 2 of"):
        InfiniRetri(ours, tokenizer, scorer=scoring.LayerSum(2), **READ)
    assert InfiniRetri(ours, tokenizer, layer=1, **READ).layer == 1
    mistral, _ = pairs("mistral")  # every layer windowed: no better choice, all accepted
    assert InfiniRetri(mistral, tokenizer, layer="last", **READ).layer == 2
