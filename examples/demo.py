"""`make demo`: a needle question over a long Paul Graham haystack, or your own file.

python examples/demo.py                              # ~16k tokens, needle at 60 % depth
python examples/demo.py --file book.txt --question "Who is the narrator?"
python examples/demo.py --html page.html             # where to write the evidence page
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from infiniretri_core import InfiniRetri, Progress, haystack


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--file", help="a UTF-8 text file to read instead of the haystack")
    ap.add_argument("--question", help="the question (default: the NIH needle question)")
    ap.add_argument("--tokens", type=int, default=16_000, help="haystack length in tokens")
    ap.add_argument("--depth", type=float, default=0.6, help="needle depth, 0..1")
    ap.add_argument(
        "--html",
        default=str(Path(tempfile.gettempdir()) / "infiniretri-demo.html"),
        help="write the evidence page here (default: %(default)s)",
    )
    args = ap.parse_args()

    t0 = time.perf_counter()
    engine = InfiniRetri.from_pretrained()
    ranker = "none" if engine.ranker is None else engine.ranker.model.config.model_type
    print(
        f"models loaded in {time.perf_counter() - t0:.1f}s: {engine.config.scoring!r} read "
        f"(layer {engine.layer}), ranker {ranker}"
    )
    if args.file:
        document = Path(args.file).read_text(encoding="utf-8", errors="replace")
        question = args.question or "What is this text about?"
    else:
        document = haystack.build(engine.tokenizer, args.tokens, args.depth)
        question = args.question or haystack.QUESTION
        print(
            f"haystack: {args.tokens} tokens of Paul Graham essays, needle at "
            f"{args.depth:.0%}:\n  {haystack.NEEDLE}"
        )
    print(f"question: {question}")

    def progress(p: Progress) -> None:
        print(
            f"\r  chunk {p.chunk}/{p.num_chunks}  read {p.tokens_read}/{p.tokens_total} "
            f"tokens, cache {p.tokens_kept}",
            end="",
            file=sys.stderr,
            flush=True,
        )

    t0 = time.perf_counter()
    stream = engine.stream_answer(document, question, progress=progress)
    started = False
    for piece in stream:
        if not started:  # end the progress line before the answer gets its own line
            print(file=sys.stderr, flush=True)
            print("answer: ", end="", flush=True)
            started = True
        print(piece, end="", flush=True)
    if not started:
        print(file=sys.stderr, flush=True)
        print("answer: ", end="")
    seconds = time.perf_counter() - t0
    print()
    ans = stream.answer
    assert ans is not None
    print(
        f"\n{ans.selection.tokens_read} tokens read in {seconds:.1f}s "
        f"({seconds / ans.selection.tokens_read * 1000:.2f}s per 1k), "
        f"{ans.selection.tokens_kept} kept, writer saw {ans.writer_tokens}"
    )
    print("top evidence (character offsets into the document):")
    for e in sorted(ans.writer_evidence, key=lambda e: -e.score)[:5]:
        print(f"  [{e.start}:{e.end}] {e.score:.2f}  {' '.join(e.text.split())[:140]}")
    Path(args.html).write_text(ans.to_html(), encoding="utf-8")  # the selection holds the text
    print(f"evidence page (open it in a browser): {Path(args.html).resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
