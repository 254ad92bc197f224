"""A writer apart from the reader (``writer=``): it answers from the reader's budgeted
evidence, given as text, with its own model; the ranker's model when both name one; carried
whole by the engine's options."""

from __future__ import annotations

import copy
import threading

from infiniretri_core import InfiniRetri
from infiniretri_core.local_writer import WRITER_OPTIONS, LocalWriter
from infiniretri_core.models import EMBEDDED_NAME
from infiniretri_core.types import join_evidence

FACTS = (
    "Lena Brandt opened a bakery in Oslo in 1998. The bakery is famous for its rye bread. "
    "Her brother Tomas repairs bicycles. The river Ottra freezes every January. Fishermen cut "
    "holes in the ice to catch trout. The nearest town is Valle."
)
QUESTION = "What is the bakery famous for?"


def test_a_writer_engine_answers_from_the_budget_as_text(engine: InfiniRetri, looping) -> None:  # type: ignore[no-untyped-def]
    writer = InfiniRetri(looping, engine.tokenizer, **WRITER_OPTIONS)
    options = dict(layer=engine.layer, answer_max_tokens=24, writer_order="score")
    reader = InfiniRetri(engine.model, engine.tokenizer, writer=writer, **options)
    alone = InfiniRetri(engine.model, engine.tokenizer, **options)

    _, budget = reader.select_for_writer(FACTS, QUESTION)
    context = join_evidence(budget)  # in the writer's order: the best last
    assert budget[-1].score == max(e.score for e in budget) and len(budget) < 6
    answer = reader.answer(FACTS, QUESTION, max_new_tokens=12)
    assert answer.text == writer.write(context, QUESTION, 12)
    assert answer.text != alone.answer(FACTS, QUESTION, max_new_tokens=12).text
    assert answer.writer_tokens == len(engine.tokenizer.encode(context, add_special_tokens=False))
    assert answer.writer_evidence == sorted(budget, key=lambda e: e.sentence)
    streamed = reader.stream_answer(FACTS, QUESTION, max_new_tokens=12)
    assert "".join(streamed).strip() == answer.text
    assert InfiniRetri.from_options(reader.options()).writer is writer


def test_one_model_ranks_and_writes_and_workers_load_it_once(engine: InfiniRetri) -> None:
    both = InfiniRetri.from_pretrained(
        ranker=EMBEDDED_NAME, writer=EMBEDDED_NAME, layer=engine.layer
    )
    assert both.writer is both.ranker is not None
    data = both.options().portable()
    assert data["writer"] == "ranker" and data["ranker"]["model"]
    again = InfiniRetri.from_portable(data)
    assert again.writer is again.ranker is not None
    answer = both.answer(FACTS, QUESTION, max_new_tokens=16)
    assert "rye" in answer.text.lower()


def test_a_base_model_writer_stops_at_a_blank_line(engine: InfiniRetri) -> None:
    base = copy.copy(engine.tokenizer)
    base.chat_template = None
    lock = threading.RLock()
    assert LocalWriter.of(engine.model, base, lock, 16).rule.blank_line
    assert not LocalWriter.of(engine.model, engine.tokenizer, lock, 16).rule.blank_line
