"""infiniretri ask / select: answer a question about (or retrieve from) a long text file, with
a progress bar; infiniretri bench: the benchmarks; infiniretri batch: many questions."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from .errors import InfiniRetriError
from .files import read_text_file

_BENCH_HELP = "benchmarks: NIH grid, RULER tasks, peers compared"


def _parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv`` (``None``: for any command line). The benchmark harness is
    heavy and no part of answering, so its commands are built, and ``infiniretri_core.bench``
    imported, only when ``argv`` names ``bench``; otherwise ``bench`` is a stub that keeps its
    place and help line in ``infiniretri --help``."""
    p = argparse.ArgumentParser(prog="infiniretri", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    for name, help_ in (
        ("ask", "answer a question about a long text file"),
        ("select", "show the sentences the model's attention keeps"),
    ):
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("file", help="a UTF-8 text file ('-' for standard input)")
        sp.add_argument("--question", "-q", required=True)
        _engine_options(sp)
        sp.add_argument("--max-new-tokens", type=int)
        sp.add_argument("--json", action="store_true", help="print one JSON object")
        sp.add_argument("--no-progress", action="store_true")
        sp.add_argument(
            "--html", metavar="OUT.html", help="also write a page showing the evidence in the text"
        )
    if argv is None or next((a for a in argv if not a.startswith("-")), None) == "bench":
        from .bench.cli import add_parser

        add_parser(sub, _engine_options, _BENCH_HELP)
    else:
        sub.add_parser("bench", help=_BENCH_HELP)
    from .batch.cli import add_parser as add_batch

    add_batch(sub, _engine_options)
    return p


def _engine_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--model", help="Hugging Face id, local folder or .gguf (default: embedded)")
    sp.add_argument("--layer", help="scoring layer: an int, 'auto' or 'last'")
    sp.add_argument(
        "--scoring",
        choices=["paper", "fast", "recommended", "focused"],
        help="a preset of the options below (they override it); default: the engine's "
        "('paper', which 'fast' also names; 'focused' brings the embedded reader a ranker)",
    )
    sp.add_argument("--chunk-size", type=int)
    sp.add_argument("--top-k", type=int)
    sp.add_argument("--answer-max-tokens", type=int)
    sp.add_argument("--max-document-tokens", type=int, help="refuse longer documents (a guard)")
    sp.add_argument("--dtype", default="auto")
    sp.add_argument(
        "--device", default="auto", help="cuda, mps, cpu (default: auto, in that order)"
    )
    sp.add_argument(
        "--null-question", help="beyond the paper: subtract this question's attention, e.g. N/A"
    )
    sp.add_argument(
        "--heads", help="beyond the paper: score with these heads, e.g. 24.4,15.6 (layer.head)"
    )
    sp.add_argument(
        "--link-head",
        help="beyond the paper: also keep sentences linked to kept ones by this head of the "
        "scoring layer (an int or 'auto'); for two-hop questions",
    )
    sp.add_argument("--link-weight", type=float, help="weight of the link score (default 0.5)")
    sp.add_argument(
        "--writer-order",
        choices=["document", "score"],
        help="beyond the paper: the writer's sentences by score, the best last (default: "
        "document order)",
    )
    sp.add_argument(
        "--match-weight",
        type=float,
        help="beyond the paper: weight of an exact-match prior on the question's rare word "
        "sequences (0: off); for exact keys, ids and names",
    )
    sp.add_argument(
        "--passes", type=int, help="beyond the paper: read the document this many times (1)"
    )
    _keeping(sp)
    _other_models(sp)


def _keeping(sp: argparse.ArgumentParser) -> None:
    """What the cache keeps beyond the paper's rule."""
    sp.add_argument(
        "--keep",
        choices=["step", "best"],
        help="beyond the paper: 'best' keeps the sentences whose best score in any step is "
        "highest (default 'step': this step's top tokens, the paper's)",
    )
    sp.add_argument(
        "--step-top-k",
        type=int,
        help="beyond the paper, with --keep best: also keep the sentences holding this "
        "step's own top-K tokens",
    )
    sp.add_argument(
        "--pool-tokens",
        type=int,
        help="beyond the paper, with --keep best: remember this many tokens of the best "
        "sentences that left the cache, for the ranker (not read again)",
    )


def _other_models(sp: argparse.ArgumentParser) -> None:
    """The models beside the reader: the cascade's ranker and the writer."""
    sp.add_argument(
        "--ranker",
        default="auto",
        type=lambda v: None if v.lower() == "none" else v,
        help="beyond the paper: a second model (name, folder or .gguf) that ranks what the "
        "read kept, all of it in one forward (a cascade); 'none': no ranker (default 'auto': "
        "qwen2.5-coder-1.5b for the embedded reader under --scoring focused, else none)",
    )
    sp.add_argument(
        "--writer",
        default="auto",
        type=lambda v: None if v.lower() == "none" else v,
        help="a model (name, folder or .gguf) that writes the answer from what the reader "
        "kept and budgeted; 'none': the reader writes (default 'auto': qwen2.5-coder-1.5b "
        "for the embedded reader, loaded on the first answer; the reader for any other)",
    )


def _options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if args.layer is not None:
        opts["layer"] = int(args.layer) if args.layer.lstrip("-").isdigit() else args.layer
    if args.link_head is not None:
        opts["link_head"] = int(args.link_head) if args.link_head.isdigit() else args.link_head
    for name in (
        "chunk_size",
        "top_k",
        "max_new_tokens",
        "answer_max_tokens",
        "max_document_tokens",
        "null_question",
        "heads",
        "link_weight",
        "match_weight",
        "writer_order",
        "passes",
        "keep",
        "pool_tokens",
        "step_top_k",
        "scoring",
    ):
        if getattr(args, name) is not None:
            opts[name] = getattr(args, name)
    return opts


def main(argv: Sequence[str] | None = None, *, engine: Any = None) -> int:
    """The command line; ``engine``, if given, is used instead of loading one (its options
    win over --model, --layer and the like)."""
    words = sys.argv[1:] if argv is None else list(argv)
    args = _parser(words).parse_args(words)
    try:
        return _run(args, engine)
    except InfiniRetriError as exc:
        print(f"infiniretri: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("infiniretri: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace, engine: Any = None) -> int:
    from tqdm import tqdm

    from .document import check_text
    from .engine import InfiniRetri

    if args.command == "batch":  # engines are made per worker, from the options
        from .batch.cli import run as run_batch

        return run_batch(args, engine, _options(args))
    text = ""
    if args.command != "bench":  # both checked before a model is loaded
        text = check_text(read_text_file(args.file), "document")
        check_text(args.question, "question")
    if engine is None:  # loaded after the file is known to be readable
        engine = InfiniRetri.from_pretrained(
            args.model,
            dtype=args.dtype,
            device=args.device,
            ranker=args.ranker,
            writer=args.writer,
            **_options(args),
        )
    if args.command == "bench":
        from .bench.cli import run

        return run(args, engine)
    bar = tqdm(total=None, unit="chunk", disable=args.no_progress, file=sys.stderr, desc="reading")

    def progress(p: Any) -> None:
        bar.total = p.num_chunks
        bar.set_postfix(kept=p.tokens_kept)
        bar.update(1)

    if args.command == "select":
        sel = engine.select(text, args.question, progress=progress)
        bar.close()
        if args.html:
            write_html(args.html, sel.to_html(text, args.question))
        if args.json:
            print(json.dumps(sel.as_dict(), ensure_ascii=False))
        else:
            _print_evidence(sel.evidence)
        return 0
    ans = engine.answer(text, args.question, progress=progress)
    bar.close()
    if args.html:
        write_html(args.html, ans.to_html(text, args.question))
    if args.json:
        out = {"answer": ans.text, **ans.selection.as_dict(), "writer_tokens": ans.writer_tokens}
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(ans.text)
        print(
            f"\nevidence ({len(ans.evidence)} sentences, {ans.selection.tokens_kept} of "
            f"{ans.selection.tokens_read} tokens kept):"
        )
        _print_evidence(sorted(ans.evidence, key=lambda e: -e.score)[:5])
    return 0


def write_html(path: str, page: str) -> None:
    """Write ``page`` to ``path`` (UTF-8) and say where it is on standard error."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    print(f"infiniretri: evidence page written to {path}", file=sys.stderr)


def _print_evidence(evidence: Sequence[Any]) -> None:
    for e in evidence:
        snippet = " ".join(e.text.split())
        print(f"  [{e.start}:{e.end}] score={e.score:.2f}  {snippet[:160]}")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
