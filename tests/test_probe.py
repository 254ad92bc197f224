"""The capture path equals eager attention, and reading stops after the scoring layer."""

from __future__ import annotations

import pytest
import torch
from infiniretri_core import InfiniRetri, ModelError, probe
from infiniretri_core.families import decoder_layers, model_name
from infiniretri_core.prompt import prompt_parts

TEXT = (
    " The harbour master measured the river path before the winter came."
    " The special magic number for Isolde is 48213."
    " Everyone agreed it had been worth the effort."
)


@pytest.fixture(scope="module")
def fp32_pair(engine: InfiniRetri, fp32_engine: InfiniRetri):  # type: ignore[no-untyped-def]
    """The session's fp32 model (loaded as ``models.load`` does, the probe installed), and
    the same weights with eager attention."""
    path = engine.model.config._name_or_path
    from transformers import AutoModelForCausalLM

    ours = fp32_engine.model
    assert ours.dtype == torch.float32 and model_name(ours) == path
    assert ours.config._attn_implementation == probe.ATTN_IMPLEMENTATION
    eager = AutoModelForCausalLM.from_pretrained(
        path, dtype=torch.float32, attn_implementation="eager"
    ).eval()
    return ours, eager


@pytest.mark.parametrize("layer", [0, 15, -1])
def test_capture_equals_eager_reference(engine: InfiniRetri, fp32_pair, layer: int) -> None:  # type: ignore[no-untyped-def]
    ours, eager = fp32_pair
    layer = layer % len(decoder_layers(ours))
    parts = prompt_parts(
        engine.tokenizer,
        engine.config.prompt_template,
        "What is the special magic number for Isolde?",
    )
    ids, _, query_start = parts.build(engine.tokenizer(TEXT, add_special_tokens=False)["input_ids"])
    rows = probe.attention_rows(ours, ids, query_start, [layer])[layer][0]  # (H, Q, K)
    with torch.inference_mode():
        ref = eager(input_ids=ids, output_attentions=True).attentions[layer][0]
    ref_rows = ref[:, query_start:, :]
    assert rows.shape == ref_rows.shape
    torch.testing.assert_close(rows, ref_rows.float(), atol=1e-4, rtol=0)
    torch.testing.assert_close(rows.sum(0), ref_rows.sum(0).float(), atol=1e-4, rtol=0)
    # every row is a probability distribution over the keys it may see
    torch.testing.assert_close(rows.sum(-1), torch.ones_like(rows.sum(-1)), atol=1e-4, rtol=0)


def test_reading_never_runs_layers_above_the_scoring_layer(engine: InfiniRetri) -> None:
    layers = decoder_layers(engine.model)
    calls: list[str] = []
    handles = [
        layers[i].register_forward_hook(lambda *_, i=i: calls.append(f"layer{i}"))
        for i in range(len(layers))
    ]
    handles.append(engine.model.lm_head.register_forward_hook(lambda *_: calls.append("head")))
    try:
        engine.select(TEXT * 3, "What is the special magic number for Isolde?")
    finally:
        for h in handles:
            h.remove()
    # the scoring layer's own forward is cut inside its attention: only layers below finish
    assert calls, "the model did not run"
    assert "head" not in calls
    assert max(int(c[5:]) for c in calls) == engine.layer - 1


def test_model_uses_sdpa_not_eager(engine: InfiniRetri) -> None:
    assert engine.model.config._attn_implementation == probe.ATTN_IMPLEMENTATION


def test_probe_rejects_layers_outside_the_model(engine: InfiniRetri) -> None:
    ids = torch.tensor([[1, 2, 3]])
    with pytest.raises(ModelError, match="outside"):
        probe.attention_rows(engine.model, ids, 1, [999])
