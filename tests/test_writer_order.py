"""``writer_order``: the writer's sentences in document order (the paper's) or by score."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from infiniretri_core import ConfigError, InfiniRetri, InfiniRetriConfig, haystack
from infiniretri_core.local_writer import LocalWriter


@pytest.mark.parametrize("value", ["best", "", None, 1, "Score"])
def test_bad_writer_order_is_refused(value: object) -> None:
    with pytest.raises(ConfigError, match="writer_order"):
        InfiniRetriConfig(writer_order=value)  # type: ignore[arg-type]


def _writer_text(
    engine: InfiniRetri, order: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, Any]:
    """The context the writer was given, and the answer (its evidence and scores)."""
    eng = InfiniRetri(
        engine.model,
        engine.tokenizer,
        layer=engine.layer,
        answer_max_tokens=120,
        max_new_tokens=1,
        writer_order=order,
    )
    seen: list[torch.Tensor] = []

    def spy(self: LocalWriter, input_ids: torch.Tensor, *args: Any, **kw: Any) -> str:
        seen.append(input_ids)
        return ""

    monkeypatch.setattr(LocalWriter, "generate", spy)
    document = haystack.build(engine.tokenizer, 2_000, 0.3)
    ans = eng.answer(document, haystack.QUESTION)
    text = engine.tokenizer.decode(seen[0][0].tolist())
    return text[: text.rindex("Question:")], ans


def test_by_score_the_best_sentence_comes_last(
    engine: InfiniRetri, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, ans = _writer_text(engine, "score", monkeypatch)
    chosen = ans.writer_evidence
    assert len(chosen) >= 3
    at = sorted(chosen, key=lambda e: text.index(e.text.strip()))
    assert [e.score for e in at] == sorted(e.score for e in chosen)  # lowest first, best last
    doc_text, doc_ans = _writer_text(engine, "document", monkeypatch)
    assert {e.sentence for e in doc_ans.writer_evidence} == {e.sentence for e in chosen}
    at = sorted(doc_ans.writer_evidence, key=lambda e: doc_text.index(e.text.strip()))
    assert [e.start for e in at] == sorted(e.start for e in chosen)  # the paper's order
    assert at != sorted(chosen, key=lambda e: e.score), "the two orders coincide: no test"
