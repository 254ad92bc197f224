"""Nothing behind the user's back: no network, no remote code, no pickles, no half-written
cache files; and reading memory that does not grow with the document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import transformers
from infiniretri_core import InfiniRetri, ModelError, models
from infiniretri_core.calibration import store

SOCKETS_BLOCKED = """
import socket
attempts = []

def refuse(*args, **kwargs):
    attempts.append(repr(args)[:200])
    raise OSError("network access attempted")

socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
"""


def run_python(code: str, env: dict[str, str] | None = None) -> str:
    base = {k: v for k, v in os.environ.items() if "OFFLINE" not in k}  # online allowed
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**base, **(env or {})},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_no_network_at_import_or_run_time(engine: InfiniRetri) -> None:
    code = SOCKETS_BLOCKED + textwrap.dedent(
        f"""
        import infiniretri_integrations.langchain, infiniretri_integrations.llama_index
        from infiniretri_core import InfiniRetri, haystack
        engine = InfiniRetri.from_pretrained(layer="auto")
        assert engine.layer == {engine.layer}
        doc = haystack.build(engine.tokenizer, 1200, 0.5)
        answer = engine.answer(doc, haystack.QUESTION, max_new_tokens=20)
        print(answer.text)
        print("ATTEMPTS", attempts)
        """
    )
    out = run_python(code)
    assert "Dolores Park" in out or "sandwich" in out
    assert "ATTEMPTS []" in out


def tiny_llama_folder(folder: Path, tokenizer) -> Path:  # type: ignore[no-untyped-def]
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
    )
    folder.mkdir()
    config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_weights_are_never_read_from_pickles(tmp_path: Path, tokenizer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    folder = tiny_llama_folder(tmp_path / "pickled", tokenizer)
    model = transformers.LlamaForCausalLM(transformers.LlamaConfig.from_pretrained(folder))
    torch.save(model.state_dict(), folder / "pytorch_model.bin")

    def no_unpickling(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("torch.load was called")

    monkeypatch.setattr(torch, "load", no_unpickling)
    with pytest.raises(ModelError, match="safetensors"):
        models.load(str(folder))


def test_remote_code_is_not_run_unless_asked(tmp_path: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    folder = tiny_llama_folder(tmp_path / "remote", tokenizer)
    marker = tmp_path / "code-ran"
    (folder / "evil.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "from transformers import LlamaConfig as EvilConfig, LlamaForCausalLM as EvilModel\n"
    )
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {
        "AutoConfig": "evil.EvilConfig",
        "AutoModelForCausalLM": "evil.EvilModel",
    }
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError):
        models.load(str(folder))
    assert not marker.exists()


def test_an_interrupted_calibration_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "calibration" / "model.json"

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.atomic_write(target, json.dumps({"layer": 15}))
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no temporary file left behind
    monkeypatch.undo()
    store.atomic_write(target, json.dumps({"layer": 15}))
    assert json.loads(target.read_text()) == {"layer": 15}


def test_reading_memory_does_not_grow_with_the_document(engine: InfiniRetri) -> None:
    """In a fresh process (a used one keeps its high-water mark): a document 4x longer
    must not raise the peak resident memory of reading by more than 10%. Both documents are
    built before reading; the cache budget is small so the short read reaches full steps."""
    code = textwrap.dedent(
        f"""
        import json
        from infiniretri_core import InfiniRetri, haystack
        engine = InfiniRetri.from_pretrained(
            layer={engine.layer}, chunk_size=256, top_k=32, max_cache_tokens=128
        )
        docs = [haystack.build(engine.tokenizer, n, 0.5) for n in (2000, 8000)]
        out = []
        for doc in docs:
            sel = engine.select(doc, haystack.QUESTION)
            out.append([sel.tokens_read, sel.start_rss_bytes, sel.peak_rss_bytes])
        print(json.dumps(out))
        """
    )
    (small_read, start, small_peak), (large_read, _, large_peak) = json.loads(
        run_python(code, {"HF_HUB_OFFLINE": "1"}).strip().splitlines()[-1]
    )
    assert large_read > 3.5 * small_read
    assert small_peak > start > 0  # reading itself shows up in the figure
    assert large_peak <= 1.1 * small_peak, (small_peak, large_peak)


def test_each_call_reports_its_memory(engine: InfiniRetri) -> None:
    sel = engine.select("Alvar was born in Tromso. He moved to Lisbon.", "Where was Alvar born?")
    assert sel.peak_rss_bytes is not None and sel.start_rss_bytes is not None
    assert sel.peak_rss_bytes >= sel.start_rss_bytes > 100 * 2**20  # the model is resident
    assert sel.as_dict()["peak_rss_bytes"] == sel.peak_rss_bytes


def test_trust_remote_code_is_off_by_default() -> None:
    import inspect

    for fn in (models.load, InfiniRetri.from_pretrained):
        assert inspect.signature(fn).parameters["trust_remote_code"].default is False
