"""The import structure: every module imports on its own, no module needs itself back through
its imports (a cycle makes import order matter, and breaks a module imported first), and no
module reaches into another's private names."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "infiniretri_core": ROOT / "core" / "infiniretri_core",
    "infiniretri_integrations": ROOT / "infiniretri_integrations",
}
# Top-level modules of extras a module may need at import: without one, the module is skipped.
OPTIONAL = {
    "bm25s",
    "infini_retri",
    "kvpress",
    "langchain_classic",
    "langchain_core",
    "llama_index",
    "matplotlib",
    "psutil",
    "ray",
    "scipy",
    "seaborn",
    "tiktoken",
}


def modules() -> dict[str, Path]:
    """Every module of our two packages (a package is its ``__init__``), by dotted name."""
    found = {}
    for package, root in PACKAGES.items():
        for path in sorted(root.rglob("*.py")):
            parts = [package, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


_IMPORT_ALONE = """
import importlib, json, sys
OURS = tuple(json.loads(sys.argv[1]))
OPTIONAL = set(json.loads(sys.argv[2]))
failed, skipped = {}, {}

def optional_missing(exc):
    while exc is not None:
        if isinstance(exc, ImportError) and (exc.name or "").split(".")[0] in OPTIONAL:
            return exc.name
        exc = exc.__cause__ or exc.__context__
    return None

for name in json.loads(sys.argv[3]):
    for loaded in [m for m in sys.modules if m.split(".")[0] in OURS]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException as exc:
        missing = optional_missing(exc)
        if missing:
            skipped[name] = missing
        else:
            failed[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps({"failed": failed, "skipped": skipped}))
"""


def test_every_module_imports_alone() -> None:
    # One interpreter for all (torch and transformers load once), our modules dropped from
    # sys.modules before each import, so each is imported first, as a user's script would.
    names = sorted(modules())
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORT_ALONE,
            json.dumps(sorted(PACKAGES)),
            json.dumps(sorted(OPTIONAL)),
            json.dumps(names),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, missing in result["skipped"].items():
        print(f"skipped {name}: needs {missing}")
    failed = result["failed"]
    assert not failed, "modules that fail to import alone:\n" + "\n".join(
        f"  {name}: {why}" for name, why in sorted(failed.items())
    )


class _Imports(ast.NodeVisitor):
    """The import statements of a module, in functions too, each flagged if it sits under
    ``if TYPE_CHECKING:`` (never run, so it cannot take part in a cycle)."""

    def __init__(self) -> None:
        self.found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []
        self._typing = 0

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        typing = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        )
        self._typing += typing
        for child in node.body:
            self.visit(child)
        self._typing -= typing
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.append((node, self._typing > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.found.append((node, self._typing > 0))


def _resolve(
    name: str, path: Path, node: ast.Import | ast.ImportFrom, known: dict[str, Path]
) -> Iterator[tuple[str, str | None]]:
    """(module run by ``node``, private name taken from it or None), within our packages.

    A package an import passes through runs too, unless it is one of the importer's own
    packages (already running by then)."""
    targets: list[tuple[str, str | None]]
    if isinstance(node, ast.Import):
        targets = [(alias.name, None) for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            parts = package.split(".")
            anchor = ".".join(parts[: len(parts) - node.level + 1])
            base = f"{anchor}.{base}" if base else anchor
        targets = []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            if sub in known:
                targets.append((sub, None))
            else:
                hidden = alias.name.startswith("_") and not alias.name.startswith("__")
                targets.append((base, alias.name if hidden else None))
    for target, private in targets:
        parts = target.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent in known and not (name == parent or name.startswith(parent + ".")):
                yield parent, None
        if target in known:
            yield target, private


def import_graph() -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    """Module -> modules of ours its import runs (``TYPE_CHECKING`` blocks left out), and the
    private names taken across modules as (importer, module, name), those blocks included."""
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    private: list[tuple[str, str, str]] = []
    for name, path in known.items():
        visitor = _Imports()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        for node, typing_only in visitor.found:
            for target, hidden in _resolve(name, path, node, known):
                if hidden is not None and target != name:
                    private.append((name, target, hidden))
                if not typing_only and target != name:
                    graph[name].add(target)
    return graph, private


def _groups(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of modules (Tarjan), each module in exactly one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group: set[str] = set()
            while not group or v not in group:
                group.add(stack.pop())
            groups.append(group)

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return groups


def _shortest_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    start = min(group)
    paths, frontier = {start: [start]}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & group):
                if w == start:
                    return [*paths[v], start]
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # a group of 2+ always has one


def import_depth(graph: dict[str, set[str]] | None = None) -> list[str]:
    """The longest chain of imports, a group of modules that import each other counted as
    one link ("{a, b}"): how far a change to a module at its end can reach."""
    graph = import_graph()[0] if graph is None else graph
    groups = _groups(graph)  # Tarjan yields a group after every group it imports
    of = {v: i for i, group in enumerate(groups) for v in group}
    chain: list[list[str]] = []
    for i, group in enumerate(groups):
        label = min(group) if len(group) == 1 else "{" + ", ".join(sorted(group)) + "}"
        below = {of[w] for v in group for w in graph[v]} - {i}
        chain.append([label, *max((chain[j] for j in sorted(below)), key=len, default=[])])
    return max(chain, key=len, default=[])


def test_import_graph_has_no_cycle_and_no_private_import() -> None:
    graph, private = import_graph()
    depth = import_depth(graph)
    print(f"import depth {len(depth)}: {' -> '.join(depth)}")
    problems = []
    for group in (g for g in _groups(graph) if len(g) > 1):
        cycle = _shortest_cycle(graph, group)
        problems.append("cycle: " + " -> ".join(cycle))
        if len(group) > len(cycle) - 1:
            problems[-1] += f" (one of several among {', '.join(sorted(group))})"
    problems += [f"{importer} imports {name} from {module}" for importer, module, name in private]
    assert not problems, "\n".join(problems)


LAYERS = {
    "base": ["errors", "types", "cancel", "memory", "files", "evidence_html"],
    "text": [
        "segment",
        "tokens",
        "document",
        "chunking",
        "lexical",
        "haystack",
        "ranking",
        "realdocs",
    ],
    "model": ["families", "models", "packaged", "probe", "prompt"],
    "scoring": ["scoring"],
    "config": ["config"],
    "reading": ["reading", "calibration"],
    "writer": [
        "writer",
        "answer_guard",
        "local_writer",
        "stream",
        "model_choice",
        "rerank",
        "cascade",
    ],
    "engine": ["engine", "answering", "engine_options", "__init__"],
    "doors": ["cli", "batch", "bench"],
}
"""``docs/ARCHITECTURE.md``'s layers of ``infiniretri_core``: a module imports its own layer
and the layers above it in this list, never one below (the adapters sit on top of all)."""


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "infiniretri_core":
        return None
    top = parts[1] if len(parts) > 1 else "__init__"
    return next(i for i, names in enumerate(LAYERS.values()) if top in names)


def test_each_module_imports_only_its_layer_and_the_ones_beneath() -> None:
    graph, _ = import_graph()
    assert all(_layer(m) is not None for m in graph if m.startswith("infiniretri_core"))
    wrong = [
        (m, t)
        for m, targets in graph.items()
        for t in targets
        if (a := _layer(m)) is not None and (b := _layer(t)) is not None and b > a
    ]
    assert not wrong, f"imports of a higher layer: {wrong}"


def test_model_config_is_read_in_families_only() -> None:
    """Family quirks live in one place: ``model.config`` (of ``model``, ``lm`` or any
    ``*.model``) is read by ``families.py`` alone."""
    found = []
    for name, path in modules().items():
        if name == "infiniretri_core.families":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "config":
                owner = node.value
                named = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                if named in ("model", "lm"):
                    found.append(f"{name}:{node.lineno}")
    assert not found, f"model.config read outside families.py: {found}"
