"""When an answer ends: a repeat cut (n-gram or sentence), a blank line for base models, and a
stream that shows exactly the answer that is kept."""

from __future__ import annotations

from infiniretri_core.answer_guard import StopRule, answer_text, repeat_cut, repeat_start
from infiniretri_core.local_writer import LocalWriter
from infiniretri_core.stream import pieces

NIH_ANSWER = (
    "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a "
    "sunny day."
)


def test_a_run_of_n_ids_written_again_is_cut_where_it_starts_again() -> None:
    ids = [5, 6, 7, 8, 9, 5, 6, 7]
    assert repeat_cut(ids, 3) == 5
    assert repeat_cut(ids, 4) is None
    assert repeat_cut(ids[:-1], 3) is None
    assert repeat_cut([1, 1, 1, 1], 2) == 2
    assert repeat_cut(ids, None) is None


CHAT, BASE, OFF = StopRule(), StopRule(blank_line=True), StopRule(None)


def test_a_sentence_written_again_is_cut() -> None:
    assert answer_text("Dolores Park. Dolores Park.", CHAT) == "Dolores Park."
    assert answer_text("It is red. It is blue. It is red. More", CHAT) == ("It is red. It is blue.")
    assert answer_text(f"{NIH_ANSWER} {NIH_ANSWER}", CHAT) == NIH_ANSWER
    assert answer_text(NIH_ANSWER, CHAT) == NIH_ANSWER
    assert answer_text("Dolores Park. Dolores Park.", OFF) == "Dolores Park. Dolores Park."


def test_an_unfinished_repeat_is_cut_only_when_asked() -> None:
    text = "Paris is the capital. Paris is"
    assert answer_text(text, CHAT) == "Paris is the capital."
    assert answer_text(text, CHAT, under_way=False) == text
    other = "Paris is the capital. Paris was"
    assert answer_text(other, CHAT) == other


def test_a_base_model_stops_at_a_blank_line_after_text() -> None:
    assert answer_text("\n\nIn 1987.\n\nQuestion: why?", BASE) == "\n\nIn 1987."
    assert answer_text("In 1987.\n \nQuestion: why?", BASE) == "In 1987."
    assert answer_text("In 1987.\n\nQuestion: why?", CHAT) == "In 1987.\n\nQuestion: why?"


def _writer(model, tokenizer, n):  # type: ignore[no-untyped-def]
    import threading

    return LocalWriter.of(model, tokenizer, threading.RLock(), n)


def test_the_guard_stops_a_looping_writer_and_keeps_no_repeat(looping, tokenizer) -> None:  # type: ignore[no-untyped-def]
    prompt = "{context}\n\nQuestion: {question}\n\nAnswer:"
    free = _writer(looping, tokenizer, None)
    ids, _ = free.input_ids(prompt, "What colour is the box?", "The box is red.")
    unguarded = free.generate(ids, 64)
    tokens = tokenizer.encode(unguarded, add_special_tokens=False)
    assert len(tokens) >= 48, "the random model should write to its limit"
    runs = [tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)]
    assert len(set(runs)) < len(runs), "the random model should repeat itself"

    guarded_writer = _writer(looping, tokenizer, 4)
    guard = guarded_writer.guard(ids)
    guarded = guarded_writer.generate(ids, 64, guard)
    assert guard.cut is not None
    assert unguarded.startswith(guarded.rstrip())
    kept = tokenizer.encode(guarded, add_special_tokens=False)
    assert len(kept) < len(tokens)


def test_a_guarded_stream_shows_exactly_the_kept_answer(looping, tokenizer) -> None:  # type: ignore[no-untyped-def]
    writer = _writer(looping, tokenizer, 4)
    ids, _ = writer.input_ids("{context}\n\nQ: {question}\nA:", "Which box?", "A red box.")
    guard = writer.guard(ids)
    streamer = writer.streamer(guard)
    texts: list[str] = []
    shown = list(pieces(streamer, lambda: writer.generate(ids, 64, guard, streamer), None, texts))
    assert guard.cut is not None
    assert "".join(shown) == texts[0] == writer.generate(ids, 64)


def test_a_stream_holds_back_only_what_may_begin_a_repeat() -> None:
    assert repeat_start([1, 2, 3, 4], 4) == 4  # nothing seen before: all shown
    assert repeat_start([1, 2, 3, 1, 2], 4) == 3  # "1 2" ran before: held
    assert repeat_start([1, 2, 3, 1, 2, 3], 3) == 4  # only runs shorter than n are held
    assert repeat_start([1, 2, 1, 2], None) == 4


def test_a_concise_right_nih_answer_is_answered_though_word_recall_is_low() -> None:
    from infiniretri_core import haystack

    concise = "Eat a sandwich and sit in Dolores Park on a sunny day."
    assert haystack.answers_needle(concise) and haystack.word_recall(concise) < 0.6
    assert haystack.answers_needle(NIH_ANSWER) and haystack.word_recall(NIH_ANSWER) == 1.0
    assert not haystack.answers_needle("Sit in Dolores Park.")
    assert not haystack.answers_needle("Visit the Golden Gate Bridge on a sunny day.")
