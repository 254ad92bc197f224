from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from infiniretri_core.segment import bound_sentences, segment


def texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in segment(text)]


def assert_tiles(text: str, sentences) -> None:  # type: ignore[no-untyped-def]
    if not text.strip():
        assert sentences == []
        return
    assert sentences[0].start == 0 and sentences[-1].end == len(text)
    for a, b in itertools.pairwise(sentences):
        assert a.end == b.start and a.start < a.end


def test_english_sentences_keep_punctuation_and_offsets() -> None:
    text = "It rained all week in the valley. Did anyone notice? Nobody came to the fair!"
    assert [t.strip() for t in texts(text)] == [
        "It rained all week in the valley.",
        "Did anyone notice?",
        "Nobody came to the fair!",
    ]
    assert_tiles(text, segment(text))


def test_short_piece_after_period_is_merged() -> None:
    # the authors' abbreviation rule: a piece of <= 8 characters after '.' is glued on
    assert [t.strip() for t in texts("It costs 3.14 euros. Then we all went home.")] == [
        "It costs 3.14 euros.",
        "Then we all went home.",
    ]
    # a longer piece after the '.' starts a new sentence
    assert len(texts("Ask Mr. Smithson about the weather.")) == 2
    assert len(texts("First one ends here. Then another long sentence follows.")) == 2


def test_cjk_punctuation_and_paragraph_breaks() -> None:
    text = "今天天气很好。我们去公园吧！你来吗？\n\nA new paragraph without a stop\n\nand more"
    parts = [t.strip() for t in texts(text)]
    assert parts[:3] == ["今天天气很好。", "我们去公园吧！", "你来吗？"]
    assert parts[3] == "A new paragraph without a stop"
    assert parts[-1] == "and more"


def test_windows_paragraph_breaks() -> None:
    assert [t.strip() for t in texts("Title line\r\n\r\nBody text goes here")] == [
        "Title line",
        "Body text goes here",
    ]


def test_whitespace_only_text_has_no_sentences() -> None:
    assert segment("   \n\n  ") == []


def test_over_long_sentence_is_split_on_whitespace_then_characters() -> None:
    words = " ".join(f"word{i}" for i in range(300))
    blob = "x" * 500
    text = f"{words}. {blob}"
    sents = segment(text)

    def count(chunks):  # type: ignore[no-untyped-def]
        return [max(1, len(c) // 4) for c in chunks]  # a stand-in tokenizer: 4 chars/token

    counts = count([text[s.start : s.end] for s in sents])
    bounded = bound_sentences(text, sents, counts, count, max_tokens=32)
    assert_tiles(text, bounded)
    assert all(count([text[s.start : s.end]])[0] <= 32 for s in bounded)
    assert len(bounded) > len(sents)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .?!。\n\r\t漢😀")), max_size=200))
def test_segments_always_tile_the_text(text: str) -> None:
    assert_tiles(text, segment(text))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300), st.integers(min_value=2, max_value=20))
def test_bounded_sentences_tile_and_respect_the_bound(text: str, limit: int) -> None:
    def count(chunks):  # type: ignore[no-untyped-def]
        return [len(c) for c in chunks]  # one token per character

    sents = segment(text)
    bounded = bound_sentences(
        text, sents, count([text[s.start : s.end] for s in sents]), count, limit
    )
    assert_tiles(text, bounded)
    assert all(s.end - s.start <= limit for s in bounded)
