from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from infiniretri_core import InfiniRetri, ModelError, models


def test_embedded_model_is_found_without_importing_its_package() -> None:
    import sys

    path = models.embedded_gguf()
    assert path.suffix == ".gguf" and path.is_file()
    assert models.EMBEDDED_PACKAGE not in sys.modules


def test_gguf_is_converted_once_to_safetensors(engine: InfiniRetri) -> None:
    folder = Path(engine.model.config._name_or_path)
    assert folder.parent == models.cache_dir() / "models"
    files = {p.name for p in folder.iterdir()}
    assert "model.safetensors" in files
    assert not any(n.endswith((".bin", ".pt", ".pkl")) for n in files)
    assert not any(n.startswith(".convert-") for n in os.listdir(folder.parent))


def test_auto_dtype_is_fp32_without_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    assert models.default_dtype() == torch.float32
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)
    assert models.default_dtype() == torch.bfloat16


def test_unknown_model_path_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        models.load(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelError, match="dtype"):
        models.resolve_dtype("int3")
