"""Content words, for measuring how many questions paraphrase their answer (``realqa``)."""

from __future__ import annotations

import re

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could couldn d did didn do does doesn
    doing don down during each few for from further had hadn has hasn have haven having he her
    here hers herself him himself his how i if in into is isn it its itself just let ll m many me
    more most much must my myself no nor not now of off on once one only or other ought our
    ours ourselves out over own re s same shan she should shouldn so some such t than that the
    their theirs them themselves then there these they this those through to too two under
    until up upon ve very was wasn we were weren what when where which while who whom why will
    with won would wouldn y you your yours yourself yourselves"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SUFFIXES = (
    "ational", "ization", "ingly", "edly", "ness", "ment", "ings", "ing", "ied", "ies", "ed", "es",
    "ly", "er", "s",
)  # fmt: skip


def _stem(word: str) -> str:
    for _ in range(2):  # "computers" -> "computer" -> "comput"
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def content_words(text: str) -> set[str]:
    """Lower-cased alphanumeric words minus stopwords, crudely stemmed (``computers``,
    ``computed`` and ``computing`` all give ``comput``)."""
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS}
