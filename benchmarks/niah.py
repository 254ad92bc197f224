"""The paper's NIH grid; a thin wrapper of ``infiniretri bench niah`` (same options).

python benchmarks/niah.py --lengths 8k,16k,32k --depths 0,25,50,75,100 --out results/niah
"""

from __future__ import annotations

import sys

from infiniretri_core import cli

if __name__ == "__main__":
    raise SystemExit(cli.main(["bench", "niah", *sys.argv[1:]]))
