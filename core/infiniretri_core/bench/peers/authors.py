"""The authors' released code (``infini-retri==0.0.3``), unpatched, in its own process.

It needs eager attention and scores with the last layer; it runs on the same weights and
dtype as our engine, with the same top-K (300), chunk size (1024) and phrase width (8). Its
own process gives its own peak RSS. It generates its answer itself (greedy).

    python -m infiniretri_core.bench.peers.authors JOB.json   # prints one JSON line
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ...errors import InfiniRetriError
from ...families import model_name
from ..cases import Case
from ..common import peak_rss_mb
from . import Retrieved


class Authors:
    name = "authors"

    def __init__(self, engine: Any, max_new_tokens: int = 30, timeout: float = 3600) -> None:
        self.model_path = model_name(engine.model)
        self.dtype = str(next(engine.model.parameters()).dtype).removeprefix("torch.")
        self.max_new_tokens = max_new_tokens
        self.timeout = timeout
        cfg = engine.config
        self.options = {
            "topk": cfg.top_k,
            "window_length": cfg.chunk_size,
            "answer_length": cfg.phrase_token_num,
        }

    def retrieve(self, case: Case, budget: int | None = None) -> Retrieved:
        job = {
            "model": self.model_path,
            "dtype": self.dtype,
            "document": case.document,
            "question": case.question,
            "max_new_tokens": self.max_new_tokens,
            "options": self.options,
        }
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "job.json"
            path.write_text(json.dumps(job), encoding="utf-8")
            proc = subprocess.run(
                [sys.executable, "-m", __name__, str(path)],
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise InfiniRetriError(f"the authors' code failed: {' | '.join(tail)}")
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        return Retrieved(
            None,
            out["seconds"],
            answer=out["answer"],
            peak_rss_mb=out["peak_rss_mb"],
            note="own process; eager attention, last layer; model load not timed",
        )


def _run(job: dict[str, Any]) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ..common import require

    authors = require("infini_retri", "infini-retri==0.0.3 scipy seaborn matplotlib")
    model = AutoModelForCausalLM.from_pretrained(
        job["model"], dtype=getattr(torch, job["dtype"]), attn_implementation="eager"
    ).eval()
    ir = authors.InfiniRetri(model, AutoTokenizer.from_pretrained(job["model"]), **job["options"])
    t0 = time.perf_counter()
    with torch.inference_mode():
        text = ir.generate(
            context=job["document"], question=job["question"], max_new_tokens=job["max_new_tokens"]
        )
    rss = peak_rss_mb()
    return {
        "answer": str(text).strip(),
        "seconds": time.perf_counter() - t0,
        "peak_rss_mb": None if rss is None else round(rss),
    }


if __name__ == "__main__":
    print(json.dumps(_run(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))))
