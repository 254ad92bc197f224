"""``infiniretri bench niah | ruler | compare | many | scale | floor``: the benchmark commands."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .common import parse_depths, parse_lengths

if TYPE_CHECKING:
    from .compare import CaseSpec


def _ints(text: str) -> list[int]:
    from ..errors import InputError

    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items or not all(x.isdigit() for x in items):
        raise InputError(f"expected comma-separated whole numbers, got {text!r}")
    return [int(x) for x in items]


def add_parser(
    sub: Any, engine_options: Callable[[argparse.ArgumentParser], None], help_: str
) -> argparse.ArgumentParser:
    """The ``bench`` group; ``engine_options`` adds --model, --layer, ... to each command;
    ``help_`` is the group's line in ``infiniretri --help``, which the caller also shows
    without importing this harness."""
    bench = sub.add_parser("bench", help=help_)
    cmds = bench.add_subparsers(dest="bench", required=True)
    niah = cmds.add_parser("niah", help="the paper's needle-in-a-haystack grid + heatmap")
    niah.add_argument("--lengths", default="8k,16k,32k", help="e.g. 8k,32k,128k,1M")
    niah.add_argument("--depths", default="0,25,50,75,100", help="percentages, e.g. 0,50,100")
    niah.add_argument("--no-plot", action="store_true", help="skip the heatmap PNG")
    ruler = cmds.add_parser("ruler", help="RULER-style synthetic tasks, our engine")
    compare = cmds.add_parser("compare", help="peers side by side on the same cases")
    for p in (ruler, compare):
        p.add_argument("--lengths", default="8k")
        p.add_argument("--seeds", default="0,1,2", help="RULER cases per task, by seed")
    ruler.add_argument("--tasks", default="all", help="comma-separated RULER tasks, or 'all'")
    compare.add_argument("--tasks", default="niah,multi_key,multi_query")
    compare.add_argument("--depths", default="25,50,75", help="NIH depths (percentages)")
    compare.add_argument("--systems", default="all", help="e.g. ours,full,rag,bm25")
    compare.add_argument(
        "--per-doc", type=int, help="real_* tasks: the first N questions of each document"
    )
    compare.add_argument(
        "--slow-cases", type=int, default=1, help="cases per task for the authors' code"
    )
    compare.add_argument(
        "--no-isolate", action="store_true", help="one process for all (no per-system RSS)"
    )
    many = cmds.add_parser("many", help="several questions, one reading: select_many vs select")
    many.add_argument("--length", default="16k", help="haystack tokens (default 16k)")
    many.add_argument("--sizes", default="8,4", help="questions per select_many call")
    for p, out in ((niah, "results/niah"), (ruler, "results/ruler"), (compare, "results/compare")):
        p.add_argument("--out", default=out, help=f"results folder (default {out})")
        engine_options(p)
        p.add_argument("--max-new-tokens", type=int, default=30, help="answer tokens (default 30)")
        p.add_argument("--no-progress", action="store_true")
    many.add_argument("--out", default="results/many", help="results folder (default results/many)")
    engine_options(many)
    many.add_argument("--max-new-tokens", type=int, help=argparse.SUPPRESS)  # read by _options
    scale = cmds.add_parser("scale", help="one long read next to shorter ones: time, RSS")
    scale.add_argument("--lengths", default="32k,1M", help="e.g. 32k,128k,1M")
    scale.add_argument("--depth", type=int, default=50, help="needle depth (percentage)")
    scale.add_argument("--no-isolate", action="store_true", help="one process for all lengths")
    scale.add_argument("--out", default="results/scale", help="results folder")
    scale.add_argument("--max-new-tokens", type=int, default=30, help="answer tokens")
    scale.add_argument("--no-progress", action="store_true")
    engine_options(scale)
    floor = cmds.add_parser("floor", help="select vs bare forwards of its inputs to the layer")
    floor.add_argument("--length", default="16k", help="haystack tokens (default 16k)")
    floor.add_argument("--repeats", type=int, default=2, help="best of this many runs each")
    floor.add_argument("--out", default="results/floor", help="results folder")
    engine_options(floor)
    floor.add_argument("--max-new-tokens", type=int, help=argparse.SUPPRESS)
    return bench


Handler = Callable[[argparse.Namespace, Any], int]
"""Runs one benchmark with an engine from the parsed arguments; returns the exit code."""


def run(args: argparse.Namespace, engine: Any) -> int:
    """Run the chosen benchmark with ``engine``; prints a summary, writes files to --out."""
    return HANDLERS[args.bench](args, engine)


def _many(args: argparse.Namespace, engine: Any) -> int:
    from . import many

    data = many.run(engine, parse_lengths(args.length)[0], args.out, _ints(args.sizes))
    print(json.dumps(data["rows"], ensure_ascii=False))
    return 0


def _floor(args: argparse.Namespace, engine: Any) -> int:
    from . import floor

    data = floor.run(engine, parse_lengths(args.length)[0], args.out, args.repeats)
    print(json.dumps({k: v for k, v in data.items() if k != "config"}, ensure_ascii=False))
    return 0


def _scale(args: argparse.Namespace, engine: Any) -> int:
    from . import scale

    data = scale.run_scale(
        engine,
        parse_lengths(args.lengths),
        args.out,
        depth=args.depth,
        max_new_tokens=args.max_new_tokens,
        isolate=not args.no_isolate,
        show_progress=not args.no_progress,
    )
    print(json.dumps({"rows": data["rows"], "ratios": data["ratios"]}, ensure_ascii=False))
    return 0


def _niah(args: argparse.Namespace, engine: Any) -> int:
    from . import niah

    data = niah.run_grid(
        engine,
        parse_lengths(args.lengths),
        parse_depths(args.depths),
        args.out,
        max_new_tokens=args.max_new_tokens,
        show_progress=not args.no_progress,
        plot=not args.no_plot,
    )
    print(json.dumps({k: v for k, v in data.items() if k != "cells"}, ensure_ascii=False))
    return 0


def _ruler(args: argparse.Namespace, engine: Any) -> int:
    from . import compare, ruler

    lengths, seeds = parse_lengths(args.lengths), _ints(args.seeds)
    specs = compare.plan(lengths, ruler.parse_tasks(args.tasks), seeds=seeds)
    return _compared(args, engine, specs, ["ours"], isolate=False, slow_cases=1)


def _compare(args: argparse.Namespace, engine: Any) -> int:
    from . import compare

    lengths, seeds = parse_lengths(args.lengths), _ints(args.seeds)
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    specs = compare.plan(lengths, tasks, parse_depths(args.depths), seeds, args.per_doc)
    systems = args.systems.split(",")
    return _compared(args, engine, specs, systems, not args.no_isolate, args.slow_cases)


def _compared(
    args: argparse.Namespace,
    engine: Any,
    specs: Sequence[CaseSpec],
    systems: Sequence[str],
    isolate: bool,
    slow_cases: int,
) -> int:
    """Run ``systems`` on ``specs`` and print the table; the exit code is 1 if a row failed."""
    from . import compare

    data = compare.run_compare(
        engine,
        specs,
        systems,
        args.out,
        max_new_tokens=args.max_new_tokens,
        isolate=isolate,
        slow_cases=slow_cases,
        show_progress=not args.no_progress,
    )
    print((Path(args.out) / compare.TABLE).read_text(encoding="utf-8"))
    return 0 if all("error" not in r for r in data["rows"]) else 1


HANDLERS: dict[str, Handler] = {
    "niah": _niah,
    "ruler": _ruler,
    "compare": _compare,
    "many": _many,
    "scale": _scale,
    "floor": _floor,
}
"""Each ``infiniretri bench`` command's handler, by name."""
