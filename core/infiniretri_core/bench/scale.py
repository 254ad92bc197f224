"""One long document read end to end next to shorter ones: time, CPU time and peak RSS.

Each length runs in a fresh interpreter that loads the same engine, so a length's peak RSS
is its own (model included) and not the high-water mark of an earlier, longer read. Memory
is flat when every length's peak stays within a few percent of the smallest one's. Rows are
saved one length at a time; a second run into the same folder skips the lengths it has.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import InfiniRetriError
from .common import engine_config, read_json, write_json
from .niah import run_cell

RESULTS = "scale.json"


def run_length(
    engine: Any, length: int, depth: int = 50, max_new_tokens: int = 30, show: bool = False
) -> dict[str, Any]:
    """The NIH cell at ``length`` with CPU time added; RSS is this process's peak."""
    from tqdm import tqdm

    c0 = time.process_time()
    with tqdm(total=1, desc=f"scale {length}", disable=not show, file=sys.stderr) as bar:
        row = run_cell(engine, length, depth, max_new_tokens, bar)
        bar.update(1)
    row["cpu_seconds"] = round(time.process_time() - c0, 2)
    return row


def run_scale(
    engine: Any,
    lengths: Sequence[int],
    out: str | Path,
    depth: int = 50,
    max_new_tokens: int = 30,
    isolate: bool = True,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Every length (a subprocess each when ``isolate``); ratios against the smallest."""
    from .compare import engine_args

    path = Path(out) / RESULTS
    config = engine_config(engine)
    rows: list[dict[str, Any]] = []
    if path.exists():
        old = read_json(path)
        if old.get("config") == config and old.get("depth") == depth:
            rows = [r for r in old.get("rows", []) if r["length"] in lengths]
    data: dict[str, Any] = {"benchmark": "scale", "config": config, "depth": depth, "rows": rows}
    for length in sorted(set(lengths)):
        if any(r["length"] == length for r in rows):
            continue
        if isolate:
            job = {**engine_args(engine), "length": length, "depth": depth}
            job.update(max_new_tokens=max_new_tokens, show=show_progress)
            row = _in_subprocess(job)
        else:
            row = run_length(engine, length, depth, max_new_tokens, show_progress)
        rows.append(row)
        rows.sort(key=lambda r: r["length"])
        data["ratios"] = ratios(rows)
        write_json(path, data)
    data["ratios"] = ratios(rows)
    write_json(path, data)
    return data


def ratios(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Peak RSS and seconds per 1k tokens of each length over the smallest length's."""
    if not rows:
        return {}
    base = min(rows, key=lambda r: r["length"])
    out: dict[str, Any] = {"base_length": base["length"]}
    for r in rows:
        out[str(r["length"])] = {
            "peak_rss": round(r["peak_rss_mb"] / base["peak_rss_mb"], 3)
            if r.get("peak_rss_mb") and base.get("peak_rss_mb")
            else None,
            "s_per_1k": round(r["s_per_1k"] / base["s_per_1k"], 3),
        }
    return out


def warm(engine: Any) -> None:
    """One short read and answer first, so no length pays the first call's set-up."""
    from .. import haystack

    engine.answer(haystack.build(engine.tokenizer, 1000, 0.5), haystack.QUESTION, max_new_tokens=2)


def _in_subprocess(job: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "job.json"
        path.write_text(json.dumps(job), encoding="utf-8")
        proc = subprocess.run(  # its progress bar goes to our stderr
            [sys.executable, "-m", __name__, "--worker", str(path)],
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not rows:
        raise InfiniRetriError(
            f"the scale worker for {job['length']} tokens failed (exit {proc.returncode}; "
            "its error is on stderr above)"
        )
    return rows[-1]


def _worker(path: str) -> int:
    from ..engine import InfiniRetri

    job = read_json(Path(path))
    engine = InfiniRetri.from_portable(job)
    warm(engine)
    row = run_length(engine, job["length"], job["depth"], job["max_new_tokens"], job["show"])
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        raise SystemExit(_worker(sys.argv[2]))
    raise SystemExit("usage: infiniretri bench scale --lengths 32k,1M")
