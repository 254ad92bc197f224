"""``infiniretri batch``: records, error lines, resume after a kill, in-process == Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from infiniretri_core import InfiniRetri, InputError, haystack
from infiniretri_core.batch import (
    BatchRecord,
    BatchSettings,
    EngineSpec,
    RayOptions,
    ResultFile,
    load_records,
    run,
)
from infiniretri_core.cli import main

FACTS = [
    ("The secret code for the blue vault is 48213.", "What is the secret code for the blue vault?"),
    (
        "Marta's favourite fruit is the yellow mango from Kerala.",
        "What is Marta's favourite fruit?",
    ),
]
ANSWERS = {FACTS[0][1]: "48213", FACTS[1][1]: "mango"}
SETTINGS = BatchSettings(max_new_tokens=20)


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _keys(lines: list[dict[str, Any]]) -> list[tuple[Any, str]]:
    return [(r["id"], r["question"]) for r in lines]


@pytest.fixture(scope="module")
def docs(engine: InfiniRetri) -> list[dict[str, Any]]:
    """Three ~1k-token essays, each with both facts at different depths, and bad records."""
    good = []
    for i, depth in enumerate((0.2, 0.5, 0.8)):
        text = haystack.build(engine.tokenizer, 1000, depth, needle=FACTS[0][0])
        good.append(
            {"id": f"doc{i}", "text": FACTS[1][0] + " " + text, "questions": [q for _, q in FACTS]}
        )
    return [
        *good,
        {"id": "blank", "text": " \n\t ", "questions": ["What?"]},
        {"id": "missing", "path": "/nonexistent/essay.txt", "questions": ["What?"]},
        {"id": 7, "text": good[0]["text"], "questions": ["", FACTS[0][1]]},
    ]


def _expected(records: list[dict[str, Any]]) -> set[tuple[Any, str]]:
    return {(r["id"], q) for r in records for q in r["questions"]}


# -- input ------------------------------------------------------------------------------


def test_records_from_jsonl_and_folder(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("Bee.", encoding="utf-8")
    src = _write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "text": "x", "questions": ["q1", "q2", "q1"]},
            {"id": 2, "path": str(tmp_path / "b.txt"), "questions": ["q"]},
        ],
    )
    a, b = load_records(src)
    assert a == BatchRecord("a", ("q1", "q2"), text="x")  # duplicate question dropped
    assert (b.id, b.load()) == (2, "Bee.")

    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.txt").write_text("First.", encoding="utf-8")
    (folder / "sub" / "two.txt").write_text("Second.", encoding="utf-8")
    (folder / "skip.md").write_text("Not read.", encoding="utf-8")
    (tmp_path / "q.txt").write_text("Who?\n\nWhen?\n", encoding="utf-8")
    recs = load_records(folder, tmp_path / "q.txt")
    assert [(r.id, r.questions) for r in recs] == [
        ("one.txt", ("Who?", "When?")),
        ("sub/two.txt", ("Who?", "When?")),
    ]
    assert recs[1].load() == "Second."
    (tmp_path / "q.json").write_text(json.dumps({"sub/two.txt": ["Why?"]}), encoding="utf-8")
    assert [(r.id, r.questions) for r in load_records(folder, tmp_path / "q.json")] == [
        ("sub/two.txt", ("Why?",))
    ]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"id": "a", "text": "x", "questions": ["q"]}', "{not json"], "in.jsonl:2: not JSON"),
        (['{"id": "a", "text": "x", "questions": ["q"]}'] * 2, "duplicate document id 'a'"),
        (['{"id": "a", "questions": ["q"]}'], "exactly one of 'text' and 'path'"),
        (['{"id": "a", "text": "x", "path": "y", "questions": ["q"]}'], "exactly one of"),
        (['{"id": "a", "text": "x", "questions": "q"}'], "non-empty list of strings"),
        (['{"id": "a", "text": "x", "questions": []}'], "non-empty list of strings"),
        (['{"id": null, "text": "x", "questions": ["q"]}'], "'id' must be"),
        (['{"id": "a", "text": "x", "questions": ["q"], "extra": 1}'], "unknown field"),
        (["[1, 2]"], "expected an object"),
    ],
)
def test_malformed_input_is_refused_before_any_work(
    tmp_path: Path, lines: list[str], message: str
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_records(src)


def test_folder_needs_questions_and_matching_ids(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A.", encoding="utf-8")
    with pytest.raises(InputError, match="give a questions file"):
        load_records(tmp_path)
    (tmp_path / "q.json").write_text(json.dumps({"nope.txt": ["Q?"]}), encoding="utf-8")
    with pytest.raises(InputError, match="no file for id"):
        load_records(tmp_path, tmp_path / "q.json")
    with pytest.raises(InputError, match="no file matches"):
        load_records(tmp_path, tmp_path / "q.json", "*.pdf")


def test_result_file_cuts_a_torn_line_and_refuses_foreign_files(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "a", "question": "q", "answer": "x"}\n{"id": "b", "quest', "utf-8")
    with ResultFile(out) as f:
        assert f.done == {("a", "q")}
        assert not f.write({"id": "a", "question": "q", "answer": "again"})
        assert f.write({"id": "b", "question": "q", "answer": "y"})
    assert _keys(_lines(out)) == [("a", "q"), ("b", "q")]
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text('{"something": "else"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="not a result line"), ResultFile(foreign):
        pass


# -- the job, in-process ----------------------------------------------------------------


def test_in_process_job_answers_and_reports_bad_records(
    engine: InfiniRetri, docs: list[dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    summary = run(docs, out, engine, settings=SETTINGS)
    lines = _lines(out)
    assert sorted(map(str, _keys(lines))) == sorted(map(str, _expected(docs)))
    assert len(lines) == len(_expected(docs))  # each pair exactly once
    by_key = {(r["id"], r["question"]): r for r in lines}
    texts = {r["id"]: r["text"] for r in docs if "text" in r}
    # Both facts must be kept and the code answered in every reading. "mango" is not asserted
    # in the answer: given a cache of most of a 1k-token essay, the 135M writer copies an
    # essay sentence instead for 0-3 of the 3 (layer 18: 1-2 in bf16, 3 in fp32; layer 15:
    # 0), with the fact kept each time (asserted below).
    for rid in ("doc0", "doc1", "doc2", 7):
        for fact, question in FACTS if rid != 7 else FACTS[:1]:
            line = by_key[(rid, question)]
            if question == FACTS[0][1]:
                assert ANSWERS[question] in line["answer"]
            assert any(fact in e["text"] for e in line["evidence"])  # the fact was kept
            for e in line["evidence"]:
                assert texts[rid][e["start"] : e["end"]] == e["text"]
            assert line["tokens_read"] > line["tokens_kept"] > 0
            assert line["questions_in_reading"] == (1 if rid == 7 else 2)
    assert by_key[("blank", "What?")]["error"]["type"] == "InputError"
    assert "cannot read" in by_key[("missing", "What?")]["error"]["message"]
    assert by_key[(7, "")]["error"]["type"] == "InputError"  # one bad question fails alone
    assert (summary.documents, summary.processed, summary.failed) == (6, 6, 3)
    assert (summary.answers, summary.errors) == (7, 3)
    read = sum(by_key[(r, FACTS[0][1])]["tokens_read"] for r in ("doc0", "doc1", "doc2", 7))
    assert summary.tokens_read == read

    again = run(docs, out, engine, settings=SETTINGS)  # nothing left to do
    assert (again.skipped, again.processed, again.answers, again.errors) == (6, 0, 0, 0)
    assert len(_lines(out)) == len(lines)


def test_document_over_the_guard_is_an_error_line(engine: InfiniRetri, tmp_path: Path) -> None:
    guarded = InfiniRetri(
        engine.model, engine.tokenizer, layer=engine.layer, max_document_tokens=50
    )
    text = haystack.build(engine.tokenizer, 400, 0.5)
    out = tmp_path / "out.jsonl"
    summary = run([{"id": "long", "text": text, "questions": ["A?", "B?"]}], out, guarded)
    assert [r["error"]["type"] for r in _lines(out)] == ["DocumentTooLong", "DocumentTooLong"]
    assert summary.failed == 1


def test_resume_after_a_killed_run_writes_each_pair_once(
    engine: InfiniRetri, docs: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A real kill (SIGKILL of the CLI mid-job), a torn last line, then the same command."""
    good = [d for d in docs if str(d["id"]).startswith("doc")]
    records = [dict(d, id=f"{d['id']}-{k}") for k in range(3) for d in good]  # 9 documents
    src = _write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "infiniretri_core.cli", "batch", str(src), "--out", str(out)]
    cmd += ["--max-new-tokens", "12", "--no-progress", "--writer", "none"]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, env={**os.environ})
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = _lines(out)
    assert 3 <= len(first) < 18, "the run must be killed midway for this test to mean anything"
    with out.open("a", encoding="utf-8") as f:
        f.write('{"id": "doc0-0", "question": "torn')  # as if killed inside a write

    assert (
        main(
            ["batch", str(src), "--out", str(out), "--no-progress", "--max-new-tokens", "12"],
            engine=engine,
        )
        == 0
    )
    lines = _lines(out)
    assert lines[: len(first)] == first  # what was written stays as it was
    keys = _keys(lines)
    assert len(keys) == len(set(keys)) == 18
    assert set(keys) == _expected(records)
    assert all("error" not in r for r in lines)


# -- the job on Ray (a local cluster) -----------------------------------------------------


@pytest.fixture(scope="module")
def ray_cluster():  # type: ignore[no-untyped-def]
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    # test helpers travel by value: workers cannot import this test module
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray
    ray.shutdown()


def test_ray_local_equals_in_process(
    ray_cluster: Any, engine: InfiniRetri, docs: list[dict[str, Any]], tmp_path: Path
) -> None:
    src = _write_jsonl(tmp_path / "in.jsonl", docs)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each Ray worker (1 CPU): bf16 kernels round by thread count
    try:
        run(load_records(src), tmp_path / "local.jsonl", engine, settings=SETTINGS)
    finally:
        torch.set_num_threads(threads)
    args = ["batch", str(src), "--out", str(tmp_path / "ray.jsonl"), "--ray", "--workers", "2"]
    fast = ["--scoring", "fast", "--writer", "none"]  # the session engine's read
    rc = main([*args, "--max-new-tokens", "20", "--no-progress", *fast])
    assert rc == 1  # the job finished; some lines are errors

    def strip(path: Path) -> dict[tuple[Any, str], dict[str, Any]]:
        timing = ("seconds", "read_seconds", "peak_rss_bytes")  # of the machine, not the job
        return {
            (r["id"], r["question"]): {k: v for k, v in r.items() if k not in timing}
            for r in _lines(path)
        }

    local, remote = strip(tmp_path / "local.jsonl"), strip(tmp_path / "ray.jsonl")
    assert len(_lines(tmp_path / "ray.jsonl")) == len(remote) == len(_expected(docs))
    assert remote == local  # same answers, same evidence (offsets and scores), same errors


class _DiesOnce:
    """An engine factory whose first engine kills its worker process on its first document."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __call__(self) -> Any:
        engine = EngineSpec(options={"writer": None, "scoring": "fast"})()
        marker = self.marker

        class Engine:
            def __getattr__(self, name: str) -> Any:
                return getattr(engine, name)

            def answer_many(self, *args: Any, **kwargs: Any) -> Any:
                if not os.path.exists(marker):
                    Path(marker).touch()
                    os._exit(1)  # the worker dies mid-document
                return engine.answer_many(*args, **kwargs)

        return Engine()


def test_ray_worker_death_is_retried_and_each_pair_written_once(
    ray_cluster: Any, docs: list[dict[str, Any]], tmp_path: Path
) -> None:
    good = [d for d in docs if str(d["id"]).startswith("doc")]
    marker = tmp_path / "died"
    out = tmp_path / "out.jsonl"
    summary = run(
        good,
        out,
        _DiesOnce(str(marker)),
        settings=SETTINGS,
        ray=RayOptions(workers=1, max_restarts=2, max_task_retries=2),
    )
    assert marker.exists()  # a worker did die
    keys = _keys(_lines(out))
    assert len(keys) == len(set(keys)) == 6
    assert set(keys) == _expected(good)
    assert (summary.answers, summary.errors) == (6, 0)


def test_ray_mode_refuses_an_engine_instance(engine: InfiniRetri, tmp_path: Path) -> None:
    from infiniretri_core import ConfigError

    with pytest.raises(ConfigError, match="EngineSpec"):
        run(
            [{"id": "a", "text": "x.", "questions": ["q?"]}],
            tmp_path / "o.jsonl",
            engine,
            ray=RayOptions(),
        )
