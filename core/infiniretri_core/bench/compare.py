"""Peers side by side on the same cases: score, needle recall, time, memory, writer tokens.

Ours runs first on every case; its cache size is the token budget of the retrievers and of
the KV presses for that case. Each system runs in a process of its own (``isolate=True``, the
default of the CLI) so its peak RSS is its own, and its seconds include its own indexing
(segmenting, embedding or indexing every sentence) but not loading its models. Rows are
saved one at a time; a second run into the same folder skips the rows it has.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InfiniRetriError, InputError
from . import multihop, realqa, ruler
from .cases import Case, niah_case
from .common import engine_config, peak_rss_mb, read_json, write_json
from .table import markdown

RESULTS = "compare.json"
TABLE = "compare.md"
SLOW = frozenset({"authors"})
"""Systems run on fewer cases (``slow_cases`` per task and length)."""
REAL: dict[str, realqa.Split] = {"real_dev": "dev", "real_report": "report", "real": "all"}
"""Tasks of the real-document QA set: every question of that split, at its own length."""


@dataclass(frozen=True)
class CaseSpec:
    """What is needed to rebuild a case anywhere: ``k`` is the depth (NIH), the seed, or the
    question's index in its split (the real-document set's ``real_dev``, ``real_report``)."""

    task: str
    length: int
    k: int

    def build(self, tokenizer: Any) -> Case:
        if self.task in REAL:
            return realqa.real_cases(REAL[self.task])[self.k]
        if self.task == "niah":
            return niah_case(tokenizer, self.length, self.k)
        if self.task in multihop.TASKS:
            return multihop.generate(self.task, tokenizer, self.length, self.k)
        return ruler.generate(self.task, tokenizer, self.length, self.k)

    @property
    def name(self) -> str:
        if self.task in REAL:
            return realqa.questions(REAL[self.task])[self.k].id
        return f"{self.task}-{self.length}-{'d' if self.task == 'niah' else 's'}{self.k}"


def plan(
    lengths: Sequence[int],
    tasks: Sequence[str],
    depths: Sequence[int] = (50,),
    seeds: Sequence[int] = (0,),
    per_doc: int | None = None,
) -> list[CaseSpec]:
    """NIH cases at ``depths`` and RULER cases at ``seeds`` for every length; the real
    set's questions (``real_dev``, ``real_report``, ``real``) once each, or the first
    ``per_doc`` of each document."""
    specs = []
    for task in tasks:
        if task in REAL:  # real documents have their own lengths: each question once
            questions = realqa.questions(REAL[task])
            sizes = {d.name: d.tokens for d in realqa.documents()}
            seen: Counter[str] = Counter()
            for k, q in enumerate(questions):
                seen[q.document] += 1
                if per_doc is None or seen[q.document] <= per_doc:
                    specs.append(CaseSpec(task, sizes[q.document], k))
    for n in lengths:
        for task in tasks:
            if task in REAL:
                continue
            if task != "niah" and task not in ruler.TASKS and task not in multihop.TASKS:
                known = ", ".join([*ruler.TASKS, *multihop.TASKS, *REAL])
                raise InputError(f"unknown task {task!r}; choose niah or {known}")
            for k in depths if task == "niah" else seeds:
                specs.append(CaseSpec(task, n, k))
    return specs


def run_system(
    engine: Any,
    system: str,
    specs: Sequence[CaseSpec],
    budgets: dict[str, int | None],
    max_new_tokens: int = 30,
) -> Iterator[dict[str, Any]]:
    """Rows of one system over ``specs``; a system that cannot start yields one error row."""
    from .peers import make

    try:
        peer = make(system, engine, max_new_tokens)
    except Exception as exc:  # recorded as "could not run", never faked
        yield {"system": system, "case": None, "error": _error(exc)}
        return
    for spec in specs:
        case = spec.build(engine.tokenizer)
        try:
            yield run_case(engine, peer, case, budgets.get(case.name), max_new_tokens)
        except Exception as exc:
            yield {**_ids(system, case), "error": _error(exc)}


def run_case(
    engine: Any, peer: Any, case: Case, budget: int | None, max_new_tokens: int
) -> dict[str, Any]:
    """One system on one case, answered by the common writer unless it generates itself."""
    got = peer.retrieve(case, budget)
    seconds = got.seconds
    answer = got.answer
    if answer is None:
        assert got.context is not None
        t0 = time.perf_counter()
        answer = engine.write(got.context, case.question, max_new_tokens=max_new_tokens)
        seconds += time.perf_counter() - t0
    doc_tokens = len(engine.tokenizer(case.document, add_special_tokens=False)["input_ids"])
    writer_tokens = got.context_tokens
    if writer_tokens is None and got.context is not None:
        writer_tokens = len(engine.tokenizer(got.context, add_special_tokens=False)["input_ids"])
    rss = got.peak_rss_mb if got.peak_rss_mb is not None else peak_rss_mb()
    return {
        **_ids(peer.name, case),
        "score": case.score(answer),
        "recall": None if got.context is None else case.recall(got.context),
        "mrr": None if got.ranked is None else round(case.mrr(got.ranked), 4),
        "writer_tokens": writer_tokens,
        "doc_tokens": doc_tokens,
        "budget": budget,
        "seconds": round(seconds, 2),
        "s_per_1k": round(seconds / doc_tokens * 1000, 3),
        "peak_rss_mb": None if rss is None else round(rss),
        "answer": answer,
        "note": got.note,
    }


def _ids(system: str, case: Case) -> dict[str, Any]:
    return {"system": system, "case": case.name, "task": case.task, "length": case.length}


def _error(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {Path(last[0].filename).name}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def engine_args(engine: Any) -> dict[str, Any]:
    """How a worker process loads the same engine (same weights, device, dtype, options,
    scorer, layer and link head): ``EngineOptions.portable``."""
    return dict(engine.options().portable())


def _subprocess_rows(job: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Run one system in a fresh interpreter (its own peak RSS), streaming its rows."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "job.json"
        path.write_text(json.dumps(job), encoding="utf-8")
        log = Path(tmp) / "stderr.txt"
        with (
            log.open("w", encoding="utf-8") as err,
            subprocess.Popen(
                [sys.executable, "-m", __name__, "--worker", str(path)],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            ) as proc,
        ):
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("{"):
                    yield json.loads(line)
        if proc.returncode != 0:
            tail = " | ".join(log.read_text(encoding="utf-8").strip().splitlines()[-3:])
            raise InfiniRetriError(f"the {job['system']} worker failed: {tail}")


def _worker(path: str) -> int:
    from ..engine import InfiniRetri

    job = read_json(Path(path))
    engine = InfiniRetri.from_portable(job)
    specs = [CaseSpec(**s) for s in job["specs"]]
    for row in run_system(engine, job["system"], specs, job["budgets"], job["max_new_tokens"]):
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0


def run_compare(
    engine: Any,
    specs: Sequence[CaseSpec],
    systems: Sequence[str],
    out: str | Path,
    max_new_tokens: int = 30,
    isolate: bool = False,
    slow_cases: int = 1,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Every system on every case (slow ones on ``slow_cases`` per task and length).

    ``isolate`` runs each system in a subprocess that loads the same engine, so that its
    peak RSS is its own; otherwise all share ``engine`` and RSS is not attributed.
    """
    from tqdm import tqdm

    from .peers import parse_systems

    systems = parse_systems(",".join(systems))
    path = Path(out) / RESULTS
    config = engine_config(engine)
    rows = _previous(path, config)
    data: dict[str, Any] = {
        "benchmark": "compare",
        "config": config,
        "max_new_tokens": max_new_tokens,
        "isolated": isolate,
        "systems": systems,
        "cases": [s.build(engine.tokenizer).describe() for s in specs],
        "rows": rows,
    }
    _save(path, data)
    bar = tqdm(total=0, unit="run", disable=not show_progress, file=sys.stderr, desc="compare")
    for system in systems:
        todo = _still_to_run(rows, system, _cases_for(system, specs, slow_cases))
        if not todo:
            continue
        bar.total += len(todo)
        bar.set_description(f"compare {system}")
        budgets = _budgets(rows)
        for row in _system_rows(engine, system, todo, budgets, max_new_tokens, isolate):
            rows.append(row)
            bar.update(1)
            _save(path, data)
    bar.close()
    return data


def _save(path: Path, data: dict[str, Any]) -> None:
    """Write the results and their table (after every row, so a run stopped can resume)."""
    write_json(path, data)
    (path.parent / TABLE).write_text(markdown(data), encoding="utf-8")


def _still_to_run(
    rows: list[dict[str, Any]], system: str, cases: Sequence[CaseSpec]
) -> list[CaseSpec]:
    """The cases of ``system`` without a row from an earlier run. Its error rows are dropped
    from ``rows`` (in place): those cases run again."""
    done = {r["case"] for r in rows if r["system"] == system and "error" not in r}
    rows[:] = [r for r in rows if not (r["system"] == system and "error" in r)]
    return [s for s in cases if s.name not in done]


def _budgets(rows: Sequence[dict[str, Any]]) -> dict[str, int | None]:
    """Ours' cache size per case: the token budget of the retrievers and presses."""
    return {
        r["case"]: r["writer_tokens"] for r in rows if r["system"] == "ours" and "error" not in r
    }


def _system_rows(
    engine: Any,
    system: str,
    todo: Sequence[CaseSpec],
    budgets: dict[str, int | None],
    max_new_tokens: int,
    isolate: bool,
) -> Iterator[dict[str, Any]]:
    """The rows of ``system`` on ``todo``: in a worker process of its own (``isolate``, its
    peak RSS its own), else in this one with ``engine``."""
    if not isolate:
        return run_system(engine, system, todo, budgets, max_new_tokens)
    job = {
        **engine_args(engine),
        "system": system,
        "specs": [vars(s) for s in todo],
        "budgets": budgets,
        "max_new_tokens": max_new_tokens,
    }
    return _subprocess_rows(job)


def _cases_for(system: str, specs: Sequence[CaseSpec], slow_cases: int) -> list[CaseSpec]:
    if system not in SLOW:
        return list(specs)
    seen: dict[tuple[str, int], int] = {}
    out = []
    for s in specs:
        key = (s.task, s.length)
        if seen.get(key, 0) < slow_cases:
            out.append(s)
            seen[key] = seen.get(key, 0) + 1
    return out


def _previous(path: Path, config: dict[str, Any]) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    old = read_json(path)
    if not isinstance(old, dict) or old.get("benchmark") != "compare":
        raise InputError(f"{path} is not a comparison results file; choose another --out")
    if old.get("config") != config:
        raise InputError(f"{path} holds rows of another configuration; choose another --out")
    return list(old.get("rows", []))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        raise SystemExit(_worker(sys.argv[2]))
    raise SystemExit("usage: infiniretri bench compare ... (this module's --worker is internal)")
