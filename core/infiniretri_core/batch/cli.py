"""``infiniretri batch``: many documents and questions, in-process or on Ray."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def add_parser(sub: Any, engine_options: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser(
        "batch",
        help="answer many documents' questions into a resumable JSONL file",
        description="Input: a JSONL file (one object per document: id, text or path, "
        "questions) or a folder of text files with --questions. Output: one JSONL line per "
        "(document, question); re-running with the same --out resumes. Exit status 1 when "
        "some lines are errors (a document that could not be read, a refused question).",
    )
    p.add_argument("input", help="a .jsonl file, or a folder of text files")
    p.add_argument("--out", "-o", required=True, help="output JSONL (appended, resumable)")
    p.add_argument(
        "--questions",
        help="with a folder: a file of questions, one per line, or .json (a list for "
        "every file, or an object mapping a file's relative path to its list)",
    )
    p.add_argument("--glob", default="*.txt", help="files to read in a folder (default *.txt)")
    p.add_argument(
        "--questions-per-reading", type=int, default=4, help="questions sharing one reading"
    )
    p.add_argument("--max-new-tokens", type=int)
    p.add_argument("--ray", action="store_true", help="run on Ray (a local cluster by default)")
    p.add_argument("--ray-address", help="a Ray cluster's address (implies --ray)")
    p.add_argument("--workers", type=int, default=2, help="Ray actors, one engine each")
    p.add_argument("--cpus-per-worker", type=float, default=1.0)
    p.add_argument("--max-restarts", type=int, default=3, help="restarts of a dead Ray actor")
    p.add_argument("--no-progress", action="store_true")
    engine_options(p)


def run(args: argparse.Namespace, engine: Any, options: dict[str, Any]) -> int:
    """``engine`` (tests) replaces the in-process engine; ``options`` are the engine's."""
    from .job import run as run_job
    from .records import load_records
    from .spec import EngineSpec, RayOptions
    from .work import BatchSettings

    records = load_records(args.input, args.questions, args.glob)
    options.pop("max_new_tokens", None)  # a batch setting, not an engine option here
    if args.ranker != "auto":  # loaded by name in every worker, as the model and writer are
        options["ranker"] = args.ranker
    if args.writer != "auto":
        options["writer"] = args.writer
    settings = BatchSettings(args.questions_per_reading, args.max_new_tokens)
    ray = None
    if args.ray or args.ray_address:
        ray = RayOptions(
            address=args.ray_address,
            workers=args.workers,
            cpus_per_worker=args.cpus_per_worker,
            max_restarts=args.max_restarts,
            max_task_retries=args.max_restarts,
        )
    factory = (
        EngineSpec(args.model, args.dtype, options, args.device)
        if engine is None or ray
        else engine
    )
    summary = run_job(
        records, args.out, factory, settings=settings, ray=ray, progress=not args.no_progress
    )
    print(f"infiniretri batch: {summary}", file=sys.stderr)
    return 1 if summary.errors else 0
