from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from infiniretri_core.chunking import pack
from infiniretri_core.errors import ConfigError


def test_greedy_packing_without_overlap() -> None:
    assert pack([3, 3, 3, 3], 7) == [range(0, 2), range(2, 4)]
    assert pack([7, 1], 7) == [range(0, 1), range(1, 2)]
    assert pack([], 5) == []


def test_sentence_larger_than_budget_is_an_error() -> None:
    with pytest.raises(ConfigError):
        pack([2, 9], 8)


@given(
    st.lists(st.integers(min_value=0, max_value=50), max_size=200),
    st.integers(min_value=50, max_value=300),
)
def test_chunks_cover_everything_in_order_within_budget(lengths: list[int], budget: int) -> None:
    chunks = pack(lengths, budget)
    assert [i for c in chunks for i in c] == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in c) <= budget for c in chunks)
    # greedy: the next chunk's first sentence did not fit in the previous chunk
    for a, b in itertools.pairwise(chunks):
        assert sum(lengths[i] for i in a) + lengths[b.start] > budget
