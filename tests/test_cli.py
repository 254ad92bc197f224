from __future__ import annotations

import json
import os
import subprocess
import sys
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
            "--writer",
            "none",  # the reader writes, as the paper's one model: its answers are pinned
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


@pytest.mark.parametrize(
    ("path", "message"),
    [("/dev/zero", "not a regular file"), ("/dev/null", "not a regular file")],
)
def test_device_files_are_refused(
    path: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["select", path, "-q", "What?"]) == 2
    assert message in capsys.readouterr().err


def test_a_fifo_is_refused_without_blocking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert cli.main(["select", str(fifo), "-q", "What?"]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_an_empty_file_is_refused_before_loading_a_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_loading(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was loaded for an empty file")

    monkeypatch.setattr(InfiniRetri, "from_pretrained", no_loading)
    for content in (b"", b" \r\n\t "):
        (tmp_path / "empty.txt").write_bytes(content)
        assert cli.main(["ask", str(tmp_path / "empty.txt"), "-q", "What?"]) == 2
        assert "document is empty" in capsys.readouterr().err


def test_offsets_point_into_the_file_with_windows_line_endings(
    tmp_path: Path, engine: InfiniRetri, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "Intro line.\r\n\r\nThe vault code is 4471.\r\nThe weather was fine.\r\n" * 3
    path = tmp_path / "crlf.txt"
    path.write_bytes(text.encode("utf-8") + b"\xff bad byte.\r\n")
    assert (
        cli.main(["select", str(path), "-q", "What is the vault code?", "--json"], engine=engine)
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    original = path.read_bytes().decode("utf-8", errors="replace")
    assert data["evidence"]
    for e in data["evidence"]:
        assert original[e["start"] : e["end"]] == e["text"]


def test_max_document_tokens_and_interrupt(
    book: Path,
    engine: InfiniRetri,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert cli.main(["select", str(book), "-q", "What?", "--max-document-tokens", "100"]) == 2
    assert "max_document_tokens" in capsys.readouterr().err

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "select", interrupted)
    assert cli.main(["select", str(book), "-q", "What?"], engine=engine) == 130
    assert "interrupted" in capsys.readouterr().err


_WITHOUT_BENCH = """
import contextlib, io, sys
from infiniretri_core import cli
import infiniretri_core.batch.cli, infiniretri_core.batch.job, infiniretri_core.document
import infiniretri_core.engine  # what `_run` imports for ask, select and batch
for argv in (["ask", "f.txt", "-q", "x"], ["select", "f.txt", "-q", "x"],
             ["batch", "in.jsonl", "-o", "out.jsonl"]):
    cli._parser(argv).parse_args(argv)
for argv in (["select", "--help"], ["batch", "--help"], ["--help"], []):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        with contextlib.suppress(SystemExit):
            cli.main(argv)
print(sorted(m for m in sys.modules if m.startswith("infiniretri_core.bench")))
"""


def test_ask_select_batch_never_import_the_bench_harness() -> None:
    # The harness is a development tool: the commands users run must not pay for it, nor
    # break when it does.
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_BENCH],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_bench_still_parses_and_helps(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "compare", "--lengths", "8k", "--systems", "ours,bm25"]
    assert cli._parser(argv).parse_args(argv).bench == "compare"
    assert cli._parser(["select"]).format_help() == cli._parser().format_help()
    with pytest.raises(SystemExit) as exit_:
        cli.main(["bench", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(cmd in out for cmd in ("niah", "ruler", "compare", "many", "scale", "floor"))
    with pytest.raises(SystemExit):
        cli.main(["bench", "niah", "--help"])
    assert "--depths" in capsys.readouterr().out
