"""The benchmark package: a tiny NIH grid through the CLI, RULER generators, peers' retrieval."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from infiniretri_core import InfiniRetri, InputError, cli
from infiniretri_core.bench import ruler
from infiniretri_core.bench.cases import Case, niah_case
from infiniretri_core.bench.common import parse_depths, parse_lengths
from infiniretri_core.bench.peers.full import FullContext
from infiniretri_core.bench.table import markdown


def test_parse_lengths_and_depths() -> None:
    assert parse_lengths("8k,32k,128k,1M") == [8_000, 32_000, 128_000, 1_000_000]
    assert parse_lengths("1500, 2.5k") == [1_500, 2_500]
    assert parse_depths("0,25,50,75,100") == [0, 25, 50, 75, 100]
    for bad in ("", "8x", "-1k", "0.5"):
        with pytest.raises(InputError):
            parse_lengths(bad)
    for bad in ("", "101", "-5", "a"):
        with pytest.raises(InputError):
            parse_depths(bad)


def test_niah_grid_through_the_cli(
    engine: InfiniRetri, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["bench", "niah", "--lengths", "1500,2500", "--depths", "0,100"]
    argv += ["--out", str(tmp_path), "--no-progress"]
    assert cli.main(argv, engine=engine) == 0
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert data["benchmark"] == "niah" and data["config"]["layer"] == engine.layer
    assert (data["config"]["writer"], data["config"]["ranker"]) == (None, None)  # the reader
    cells = data["cells"]
    assert [(c["length"], c["depth"]) for c in cells] == [
        (1500, 0),
        (1500, 100),
        (2500, 0),
        (2500, 100),
    ]
    for c in cells:
        assert c["needle_in_cache"] and c["needle_to_writer"], c
        assert c["tokens_read"] > c["tokens_kept"] > 0
        assert c["s_per_1k"] > 0 and c["peak_rss_mb"] > 0
    assert data["mean_score"] == pytest.approx(sum(c["score"] for c in cells) / 4)
    assert data["mean_score"] >= 0.75
    assert data["answered"] == sum(c["answered"] for c in cells) / 4
    png = (tmp_path / "heatmap.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2_000

    # A second run into the same folder reads nothing: every cell is already there.
    def no_reading(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a finished cell was read again")

    monkeypatch.setattr(engine, "answer", no_reading)
    assert cli.main(argv, engine=engine) == 0
    again = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert again["cells"] == cells
    # Other settings into the same folder: an error, not a mix of configurations.
    assert cli.main([*argv, "--max-new-tokens", "12"], engine=engine) == 2


def test_ruler_cases_are_deterministic_per_seed(tokenizer: Any) -> None:
    a = ruler.generate("multi_key", tokenizer, 1_000, seed=3)
    assert a == ruler.generate("multi_key", tokenizer, 1_000, seed=3)
    b = ruler.generate("multi_key", tokenizer, 1_000, seed=4)
    assert (a.document, a.expected) != (b.document, b.expected)
    with pytest.raises(InputError):
        ruler.generate("no_such_task", tokenizer, 1_000)
    with pytest.raises(InputError):
        ruler.parse_tasks("multi_key,nope")


def test_ruler_needles(tokenizer: Any) -> None:
    case = ruler.generate("multi_key", tokenizer, 1_500, seed=0)
    found = re.findall(r"The special magic number for (\S+) is: (\d+)\.", case.document)
    assert len(found) == 4
    keys = [k for k, _ in found]
    assert len(set(keys)) == 4  # the distractors' keys differ from the key asked
    (needle,) = case.needles
    asked = [k for k in keys if k in case.question]
    assert len(asked) == 1 and needle == ruler.needle(asked[0], case.expected[0])
    assert abs(len(tokenizer(case.document)["input_ids"]) - 1_500) < 40

    values = ruler.generate("multi_value", tokenizer, 1_500, seed=0)
    assert len(values.expected) == 3 and len(set(values.expected)) == 3
    assert all(n in values.document for n in values.needles)
    queries = ruler.generate("multi_query", tokenizer, 1_500, seed=0)
    assert len(queries.expected) == 2 and " and " in queries.question
    uuid = ruler.generate("single_uuid", tokenizer, 1_500, seed=0)
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", uuid.expected[0]
    )


@pytest.mark.parametrize("task", ["multi_key_dense", "multi_key_uuid_dense", "multi_query_dense"])
def test_dense_ruler_haystack_is_all_needles(tokenizer: Any, task: str) -> None:
    """RULER's niah_multikey_2/3: every sentence has the needle's form, keys all differ."""
    case = ruler.generate(task, tokenizer, 2_000, seed=0)
    kind = "uuid" if "uuid" in task else "number"
    form = rf"The special magic {kind} for (\S+) is: (\S+)\."
    sentences = re.split(r"(?<=\.) ", case.document)
    assert len(sentences) > 20 and all(re.fullmatch(form, s) for s in sentences)
    keys = [re.fullmatch(form, s).group(1) for s in sentences]  # type: ignore[union-attr]
    assert len(set(keys)) == len(keys)
    asked = [k for k in keys if k in case.question]
    assert len(asked) == len(case.expected) == len(case.needles)
    assert all(case.document.count(n) == 1 for n in case.needles)
    assert abs(len(tokenizer(case.document)["input_ids"]) - 2_000) < 60
    assert case == ruler.generate(task, tokenizer, 2_000, seed=0)


def test_dense_word_keys_run_out_with_a_clear_error(tokenizer: Any) -> None:
    with pytest.raises(InputError, match="uuid-key task"):
        ruler.generate("multi_key_dense", tokenizer, 40_000, seed=0)


def test_exact_match_score_and_recall() -> None:
    case = Case("multi_value", "x", 10, "doc", "q?", ("1234567", "7654321"), ("A b.", "C d."))
    assert case.score("It is 1234567 and 7654321.") == 1.0
    assert case.score("It is 1234567.") == 0.5
    assert case.score("I do not know.") == 0.0
    assert case.recall("x A\n b. y") == 0.5  # whitespace-blind; only one needle present
    assert case.recall("A b. C d.") == 1.0


def test_mrr_ranks_each_needed_sentence_apart_from_keeping() -> None:
    needles = ("The key of the blue door is 4411.", "The blue door opens onto the garden.")
    case = Case("two_hop", "x", 10, "doc", "q?", ("4411",), needles)
    ranked = [
        "Noise here.",
        "The blue door opens onto the garden.",
        "The key of the blue door is 4411.",
    ]
    assert case.mrr(ranked) == (1 / 3 + 1 / 2) / 2
    assert case.mrr(ranked[:2]) == (0 + 1 / 2) / 2  # a needle not ranked counts 0
    assert case.mrr(["x The key of the blue\ndoor is 4411. y"]) == 0.5  # held inside a unit
    assert case.mrr([]) == 0.0


def test_sentence_retrievers_find_the_needle(engine: InfiniRetri) -> None:
    from infiniretri_core.bench.peers.bm25 import BM25
    from infiniretri_core.bench.peers.rag import EmbeddingRAG

    case = ruler.generate("multi_key", engine.tokenizer, 1_500, seed=1)
    for peer in (BM25(engine), EmbeddingRAG(engine)):
        got = peer.retrieve(case, budget=400)
        assert got.context is not None and case.recall(got.context) == 1.0, peer.name
        n = len(engine.tokenizer(got.context, add_special_tokens=False)["input_ids"])
        assert n <= 400 + 40, peer.name  # the budget, give or take the joining spaces
        assert got.seconds > 0
        assert got.ranked is not None and sorted(got.ranked) == sorted(
            u for u in got.ranked if u in got.context
        )
        assert case.mrr(got.ranked) > 0, peer.name


def test_real_tasks_plan_each_question_once_at_its_own_length() -> None:
    from infiniretri_core.bench import compare, realqa

    specs = compare.plan([8000, 16000], ["real_dev", "niah"], depths=[50])
    real = [s for s in specs if s.task == "real_dev"]
    assert len(real) == len(realqa.questions("dev")) and len(specs) == len(real) + 2
    assert [s.name for s in real] == [q.id for q in realqa.questions("dev")]
    case = real[3].build(None)
    assert case.name == real[3].name and case.length == real[3].length > 16_000
    named = compare.plan([], ["real_report"], per_doc=3)  # the 12 named questions
    docs = ("pg-b", "pg-d", "py-statements", "py-builtin-types")
    assert [s.name for s in named] == [f"{d}-0{i}" for d in docs for i in (1, 2, 3)]


def test_full_context_truncation_keeps_start_and_end(engine: InfiniRetri) -> None:
    case = niah_case(engine.tokenizer, 1_500, 50)
    whole = FullContext(engine).retrieve(case)
    assert whole.context == case.document and whole.note == "whole document"
    cut = FullContext(engine, window=400).retrieve(case)
    assert cut.context is not None and cut.note.startswith("truncated")
    doc, got = " ".join(case.document.split()), " ".join(cut.context.split())
    assert got.startswith(doc[:80]) and got.endswith(doc[-80:])
    room = FullContext(engine, window=400).room(case.question)
    assert len(engine.tokenizer(cut.context, add_special_tokens=False)["input_ids"]) <= room
    assert case.recall(cut.context) == 0.0  # the needle sat in the middle, which was cut


def test_table_shows_systems_that_could_not_run() -> None:
    data = {
        "systems": ["ours", "snapkv"],
        "cases": [{"task": "niah", "length": 8000}],
        "rows": [
            {
                "system": "ours",
                "case": "niah-8000-d50",
                "task": "niah",
                "length": 8000,
                "score": 1.0,
                "recall": 1.0,
                "s_per_1k": 2.5,
                "peak_rss_mb": 1100,
                "writer_tokens": 800,
            },
            {"system": "snapkv", "case": None, "error": "ImportError: no kvpress"},
        ],
    }
    text = markdown(data)
    assert "| ours | 8k | 1 | 1.00 | 1.00 | 1.00 | 2.50 | 1,100 | 800 |" in text
    assert "| snapkv | all | - | could not run |" in text and "no kvpress" in text


def test_regenerate_script_runs_only_commands_that_parse() -> None:
    # benchmarks/regenerate.sh is hours long; its commands must at least be valid ones.
    root = Path(__file__).resolve().parents[1]
    text = (root / "benchmarks" / "regenerate.sh").read_text().replace("\\\n", " ")
    env = {"OUT": "out", "B": "infiniretri bench"}
    env.update(re.findall(r'^(\w+)="([^"]*)"$', text, re.M))
    commands = 0
    for line in text.splitlines():
        line = re.sub(r"\$\{?(\w+)(:-[^}]*)?\}?", lambda m: env.get(m[1], m[0]), line)
        if line.startswith("infiniretri "):
            cli._parser().parse_args(shlex.split(line.split("|")[0])[1:])
            commands += 1
        elif line.startswith("python "):
            assert (root / shlex.split(line)[1]).is_file(), line
    assert commands >= 10
