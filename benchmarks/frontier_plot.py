"""The quality/cost frontier (issue 30, item 4): recall@128 on dev against cost as a multiple
of MiniLM RAG's, one point per candidate, from a JSON of measured points.

    python benchmarks/frontier_plot.py docs/results/frontier/frontier.json

Writes ``frontier.png`` beside the JSON. The points are the numbers measured by
``real_keep.py`` / ``rerank_cache.py`` (quality) and ``frontier_cost.py`` (cost, all
candidates in one run); the JSON says which runs.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path


def plot(points: list[dict[str, object]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for p in points:
        x, y = float(p["x_rag"]), float(p["recall_128"])  # type: ignore[arg-type]
        peer = p["kind"] == "peer"
        ax.scatter([x], [y], marker="s" if peer else "o", s=60, color="grey" if peer else "C0")
        ax.annotate(str(p["name"]), (x, y), textcoords="offset points", xytext=(6, 4), fontsize=9)
    ax.axvline(2.0, color="C3", linestyle="--", linewidth=1)
    ax.text(2.05, 0.05, "issue's cost bar: 2x RAG", color="C3", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("cost: select s/1k tokens, x MiniLM RAG (8k NIH, one run, log scale)")
    ax.set_ylabel("gold in the writer's 128 tokens (dev, 24 q)")
    ax.set_ylim(0, 1)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title("Quality against cost (SmolLM2 reads; AMD EPYC, bf16)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("points", help="a JSON with a 'points' list (name, recall_128, x_rag, kind)")
    args = ap.parse_args(argv)
    src = Path(args.points)
    data = json.loads(src.read_text())
    print(plot(data["points"], src.with_name("frontier.png")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
