#!/usr/bin/env bash
# Regenerates the evidence page screenshots in docs/images/, one command:
#   benchmarks/evidence_screenshot.sh
# - evidence_page.png: the page `make demo` writes (the NIH needle question over a ~16k-token
#   Paul Graham haystack, needle at 60 %), top of the page;
# - evidence_page_many.png: select_many, two questions over a ~4k-token haystack holding two
#   needles, one colour per question; a sentence kept for both is framed in both colours.
# Needs the dev venv (`make install`) and headless Chromium (Debian: `apt-get install chromium`;
# CHROMIUM=... to use another binary). Offline: the page has no network resource, and Chromium
# runs with its background networking off. About 3 minutes on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
CHROMIUM=${CHROMIUM:-chromium}
OUT=docs/images
export HF_HUB_OFFLINE=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$OUT"

"$PY" examples/demo.py --html "$tmp/evidence_page.html"

"$PY" - "$tmp/evidence_page_many.html" <<'EOF'
import sys

from infiniretri_core import InfiniRetri, haystack
from infiniretri_core.evidence_html import render_many
from infiniretri_core.tokens import encode_one

engine = InfiniRetri.from_pretrained()
tok = engine.tokenizer
# Two needles: the NIH one at 30 %, a second one at 20 % (the length exact: no essay cut)
second = "The secret ingredient of that sandwich is smoked paprika from a stall on Valencia Street."
one = haystack.build(tok, 4_000, 0.3)
length = len(encode_one(tok, one)) + len(encode_one(tok, " " + second))
document = haystack.build(tok, length, 0.2, needle=second, text=one)
questions = [haystack.QUESTION, "What is the secret ingredient of the sandwich?"]
selections = engine.select_many(document, questions)
for q, s in zip(questions, selections, strict=True):
    best = max(s.evidence, key=lambda e: e.score)
    print(f"{q} -> {len(s.evidence)} sentences kept, best: {best.text}")
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write(render_many(document, selections, questions))
EOF

shot() {  # shot PAGE PNG WIDTH,HEIGHT
  rm -f "$2"
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$tmp/profile" --window-size="$3" \
    --screenshot="$2" "file://$(realpath "$1")" 2>"$tmp/chromium.log" \
    || { cat "$tmp/chromium.log" >&2; exit 1; }
  test -s "$2" || { cat "$tmp/chromium.log" >&2; echo "no screenshot: $2" >&2; exit 1; }
}
shot "$tmp/evidence_page.html" "$OUT/evidence_page.png" 1040,1500
shot "$tmp/evidence_page_many.html" "$OUT/evidence_page_many.png" 1040,1680

# A palette PNG: a text screenshot gets about 3x smaller, with no visible change.
"$PY" - "$OUT/evidence_page.png" "$OUT/evidence_page_many.png" <<'EOF'
import sys

from PIL import Image

for path in sys.argv[1:]:
    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"{path}: {image.width}x{image.height}")
EOF
ls -l "$OUT"/evidence_page*.png
