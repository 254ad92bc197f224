#!/usr/bin/env bash
# The GPU path in one command (under 10 minutes on one GPU): the NIH grid at 32k and 128k x 3
# depths and `bench floor` at 16k, read on CUDA with device="auto" (the engine's default),
# every result as JSON under $OUT. Needs the project installed with a CUDA build of torch
# (`make install TORCH_SPEC=torch` on a GPU machine) and the embedded model's wheel.
#   benchmarks/gpu_check.sh [OUT]   (default results/gpu)
set -euo pipefail
OUT=${1:-results/gpu}
PY=${PY:-.venv/bin/python}
export HF_HUB_OFFLINE=1
mkdir -p "$OUT"
"$PY" - "$OUT/device.json" <<'PY'
import json, sys, torch
from infiniretri_core import InfiniRetri, models
if not torch.cuda.is_available():
    sys.exit("gpu_check: torch sees no CUDA device here")
engine = InfiniRetri.from_pretrained()  # device="auto", dtype="auto"
param = next(engine.model.parameters())
info = {
    "gpu": torch.cuda.get_device_name(0),
    "torch": torch.__version__,
    "cuda": torch.version.cuda,
    "auto_device": str(models.resolve_device("auto")),
    "model_device": str(param.device),
    "model_dtype": str(param.dtype),
    "layer": engine.layer,
}
json.dump(info, open(sys.argv[1], "w"), indent=1)
print(json.dumps(info))
PY
B="$PY -m infiniretri_core.cli bench"
$B niah --lengths 32k,128k --depths 10,50,90 --device cuda --no-plot --no-progress --out "$OUT/niah"
$B floor --length 16k --repeats 2 --device cuda --out "$OUT/floor"
echo "gpu_check: results in $OUT"
