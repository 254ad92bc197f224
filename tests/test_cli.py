from __future__ import annotations

import json
from pathlib import Path

import pytest
from infiniretri_core import InfiniRetri, cli, haystack


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory, engine: InfiniRetri) -> Path:
    path = tmp_path_factory.mktemp("cli") / "book.txt"
    path.write_text(haystack.build(engine.tokenizer, 2_500, 0.4), encoding="utf-8")
    return path


def test_ask_json(book: Path, engine: InfiniRetri, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        [
            "ask",
            str(book),
            "--question",
            haystack.QUESTION,
            "--json",
            "--layer",
            str(engine.layer),
            "--max-new-tokens",
            "30",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    text = book.read_text(encoding="utf-8")
    assert haystack.word_recall(data["answer"]) >= 0.8
    assert data["layer"] == engine.layer
    assert data["tokens_read"] > data["tokens_kept"] > 0
    for e in data["evidence"]:
        assert text[e["start"] : e["end"]] == e["text"]
    assert "chunk" in out.err  # the progress bar went to stderr


def test_select_plain_output(
    book: Path, engine: InfiniRetri, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "select",
            str(book),
            "-q",
            haystack.QUESTION,
            "--no-progress",
            "--layer",
            str(engine.layer),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Dolores Park" in out


def test_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", str(tmp_path), "-q", "What?"]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_missing_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", str(tmp_path / "nope.txt"), "-q", "What?"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_bad_option_is_a_clear_error(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", str(book), "-q", "What?", "--top-k", "0"]) == 2
    assert "top_k must be >= 1" in capsys.readouterr().err
