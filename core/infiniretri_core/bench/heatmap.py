"""The NIH figure in the paper's style: lengths on x, depths on y, score red (0) to green (1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import require


def _label(tokens: int) -> str:
    if tokens >= 1_000_000 and tokens % 100_000 == 0:
        return f"{tokens / 1_000_000:g}M"
    if tokens >= 1_000 and tokens % 100 == 0:
        return f"{tokens / 1_000:g}k"
    return str(tokens)


def heatmap(results: dict[str, Any], path: str | Path) -> Path:
    """Draw ``results["cells"]`` (length, depth, score) into a PNG at ``path``."""
    mpl = require("matplotlib", "matplotlib")
    mpl.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap

    cells = results["cells"]
    lengths = sorted({c["length"] for c in cells})
    depths = sorted({c["depth"] for c in cells})
    grid = np.full((len(depths), len(lengths)), np.nan)
    for c in cells:
        grid[depths.index(c["depth"]), lengths.index(c["length"])] = c["score"]
    cmap = LinearSegmentedColormap.from_list(
        "niah", ["#F0496E", "#EBB839", "#0CD79F"]
    ).with_extremes(bad="#DDDDDD")
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(lengths) + 2.5), 0.5 * len(depths) + 2.2))
    im = ax.imshow(grid, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    for (i, j), v in np.ndenumerate(grid):
        if not np.isnan(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(lengths)), [_label(n) for n in lengths])
    ax.set_yticks(range(len(depths)), [f"{d}%" for d in depths])
    ax.set_xlabel("Context length (tokens)")
    ax.set_ylabel("Needle depth")
    name = results.get("config", {}).get("model") or results.get("model") or "model"
    model = str(name).rstrip("/").split("/")[-1]
    mean = float(np.nanmean(grid))
    ax.set_title(f"InfiniRetri NIH, {model}\naverage score {mean:.3f}", fontsize=10)
    fig.colorbar(im, ax=ax, label="score")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120, bbox_inches="tight")  # long model names stay in the picture
    plt.close(fig)
    return out
