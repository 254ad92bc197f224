"""Write ``pinned_reads.json``: today's kept sentences and scores for every scoring option.

Run only to re-pin on purpose (``python tests/data/make_pinned_reads.py``): the file is the
reference that ``tests/test_pinned_reads.py`` holds every later version of the engine to.
fp32, explicit layer and link head (no calibration), so any CPU reproduces it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infiniretri_core import InfiniRetri

LAYER = 18
LINK_HEAD = 6
BASE: dict[str, Any] = {
    "layer": LAYER,
    "chunk_size": 512,
    "top_k": 80,
    "max_cache_tokens": 384,
}
OPTIONS: dict[str, dict[str, Any]] = {
    "paper": {},
    "heads": {"heads": ((18, 6), (15, 2))},
    "null_question": {"null_question": "N/A"},
    "link_head": {"link_head": LINK_HEAD},
    "passes": {"passes": 2},
    "match_weight": {"match_weight": 2.0},
    "link_passes": {"link_head": LINK_HEAD, "passes": 2},
    "no_question_weight": {"use_question_weight": False},
}
MANY: dict[str, dict[str, Any]] = {"paper": {}, "match_weight": {"match_weight": 2.0}}
WRITER: dict[str, dict[str, Any]] = {
    "document": {"answer_max_tokens": 96},
    "score": {"answer_max_tokens": 96, "writer_order": "score"},
}
HERE = Path(__file__).parent
PINNED = HERE / "pinned_reads.json"


def documents(tokenizer: Any) -> dict[str, dict[str, Any]]:
    """Three short documents of the bench's families (texts stored, not regenerated)."""
    from infiniretri_core import haystack
    from infiniretri_core.bench import multihop, ruler

    hop = multihop.generate("two_hop_reverse", tokenizer, 2000, seed=3)
    dense = ruler.generate("multi_query_dense", tokenizer, 2000, seed=7)
    other = ruler.generate("multi_key_dense", tokenizer, 2000, seed=8)
    nih = haystack.build(tokenizer, 2000, 0.4)
    return {
        "two_hop": {"text": hop.document, "questions": [hop.question, "What is the essay about?"]},
        "dense": {"text": dense.document, "questions": [dense.question, other.question]},
        "nih": {"text": nih, "questions": [haystack.QUESTION, "Who wrote the essay?"]},
    }


def kept(selection: Any) -> list[list[float]]:
    return [[e.sentence, round(e.score, 6)] for e in selection.evidence]


def engine_for(base: InfiniRetri, options: dict[str, Any]) -> InfiniRetri:
    """The paper's scoring (whatever the default) with ``BASE`` and ``options`` over it."""
    return InfiniRetri(base.model, base.tokenizer, **{"scoring": "paper", **BASE, **options})


def writer_context(engine: InfiniRetri, text: str, question: str) -> str:
    """The writer's context text, as the model sees it (generation cut to one token)."""
    model = engine.model
    seen: list[Any] = []
    original = model.generate

    def record(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["input_ids"])
        return kwargs["input_ids"]

    model.generate = record
    try:
        engine.answer(text, question, max_new_tokens=1)
    finally:
        model.generate = original
    return str(engine.tokenizer.decode(seen[0][0]))


def main() -> None:
    base = InfiniRetri.from_pretrained(dtype="float32", layer=LAYER)
    docs = documents(base.tokenizer)
    out: dict[str, Any] = {"base": BASE, "documents": docs, "select": {}, "many": {}, "writer": {}}
    for name, options in OPTIONS.items():
        engine = engine_for(base, options)
        out["select"][name] = {
            d: kept(engine.select(doc["text"], doc["questions"][0])) for d, doc in docs.items()
        }
    for name, options in MANY.items():
        engine = engine_for(base, options)
        out["many"][name] = {
            d: [kept(s) for s in engine.select_many(doc["text"], doc["questions"])]
            for d, doc in docs.items()
        }
    for name, options in WRITER.items():
        engine = engine_for(base, options)
        doc = docs["two_hop"]
        out["writer"][name] = writer_context(engine, doc["text"], doc["questions"][0])
    PINNED.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
