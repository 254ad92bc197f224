"""The model's device: ``device="auto"`` picks it, and every tensor a read makes follows it.

No GPU here: the device choice is checked with CUDA and MPS reported present, and the
placement with a model on PyTorch's ``meta`` device, where any CPU tensor that reaches an
operation with the model's tensors raises. The captured rows must come back on ``meta``.
(A single-question step cannot run on ``meta``: transformers reads a value of the implicit
positions there.)
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import transformers
from infiniretri_core import ModelError, models, probe
from infiniretri_core.prompt import PromptParts
from infiniretri_core.reading import step


def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert models.resolve_device("auto") == torch.device("cuda")
    assert models.resolve_device(None) == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert models.resolve_device("auto") == torch.device("mps")
    assert models.default_dtype("auto") == torch.float32
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert models.resolve_device("auto") == torch.device("cpu")
    assert models.resolve_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(ModelError, match="device"):
        models.resolve_device("gpu-please")


def test_dtype_follows_the_device_not_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    assert models.default_dtype("auto") == torch.float16  # an old GPU
    assert models.default_dtype("cpu") == torch.float32  # the CPU, though a GPU is there
    assert models.resolve_dtype("auto", "cpu") == torch.float32
    assert models.resolve_dtype("bf16", "cuda") == torch.bfloat16


def _meta_model() -> torch.nn.Module:
    config = transformers.LlamaConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=300,
        max_position_embeddings=512,
    )
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(config)
    model.eval()
    probe.install(model)
    return model


def test_a_multi_question_step_with_link_runs_on_the_models_device() -> None:
    model = _meta_model()
    assert probe.model_device(model).type == "meta"
    prefix, context = [1, 2, 3], list(range(10, 70))
    parts = PromptParts(prefix, [40, 41, 42, 43, 44], [50, 51], [60, 61, 62])
    other = PromptParts(prefix, [45, 46, 47], [50, 51], [60, 61, 62])
    ctx = slice(len(prefix), len(prefix) + len(context))
    lengths = np.array([20, 20, 20])
    starts = len(prefix) + np.array([0, 20, 40])
    view = step.columns(starts, lengths, [2, 0, 1])  # the second question sees another order
    inp = step.build(prefix, context, [step.Block(parts, ctx), step.Block(other, view)])
    groups = torch.full((inp.ids.shape[1],), 3, dtype=torch.long)
    groups[ctx] = torch.from_numpy(np.repeat(np.arange(3), lengths))
    link = probe.LinkSpec(1, 2, ctx.start, ctx.stop, groups, 3)
    assert inp.ids.device.type == "cpu" and inp.mask is not None
    rows = probe.attention_rows(
        model, inp.ids, inp.query_start, [1, 2], inp.mask, inp.positions, link=link
    )
    assert {r.device.type for r in rows.values()} == {"meta"}
    assert rows[probe.LINK].shape == (len(context), 3)
    assert rows[2].shape[:3] == (1, 4, inp.ids.shape[1] - inp.query_start)
