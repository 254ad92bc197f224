"""Documents in parts: one text to the model, evidence pointing back into its own part."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from infiniretri_core import InfiniRetri, InputError
from infiniretri_core.document import SEPARATOR, prepare

PART_TEXT = st.text(alphabet=st.sampled_from("ab .?!\n"), max_size=60)


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(PART_TEXT, min_size=1, max_size=5).filter(lambda p: any(x.strip() for x in p))
)
def test_no_sentence_straddles_two_parts(tokenizer, parts: list[str]) -> None:  # type: ignore[no-untyped-def]
    doc = prepare(parts, tokenizer, max_sentence_tokens=8)
    assert doc.text == SEPARATOR.join(parts)
    for i in range(len(doc.sentences)):
        start, end = doc.span(i)
        if start == end:
            continue
        part, local_start, local_end = doc.locate(start, end)
        assert parts[part][local_start:local_end] == doc.text[start:end]


def test_a_single_string_reads_as_before(tokenizer) -> None:  # type: ignore[no-untyped-def]
    text = "One sentence here. Another one there.\n\nA new paragraph."
    assert prepare(text, tokenizer, 64).sentences == prepare([text], tokenizer, 64).sentences


@pytest.mark.parametrize(
    "bad", [[], ["", "  "], ["fine text.", 3], ("ok.", None), {"a": "b"}, b"text"]
)
def test_bad_parts_are_a_clear_error(engine: InfiniRetri, bad: object) -> None:
    with pytest.raises(InputError):
        engine.select(bad, "What?")  # type: ignore[arg-type]


def test_evidence_names_its_part_and_the_cache_crosses_parts(engine: InfiniRetri) -> None:
    parts = [
        "The lighthouse keeper of Varnholm was a woman named Ingrid Dahl. "
        "She kept the lamp for thirty years.",
        "",
        "Ferries leave the harbour twice a day. The fish market opens at dawn.",
        "Ingrid Dahl was born in the village of Skarvik. Skarvik lies on the northern cape.",
    ]
    sel = engine.select(parts, "In which village was the lighthouse keeper of Varnholm born?")
    assert {e.source for e in sel.evidence} >= {0, 3}
    for e in sel.evidence:
        assert parts[e.source][e.start : e.end] == e.text
    assert any("Skarvik" in e.text and e.source == 3 for e in sel.evidence)
    assert "\n\n" in sel.context  # parts stay apart for the writer
