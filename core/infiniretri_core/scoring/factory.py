"""Flat options -> a scoring pipeline: the ONE place that says which options combine.

Scorers (exactly one): the paper's layer sum (``LayerSum``, no option), chosen heads
(``HeadSum``, ``heads``), the question minus a null question (``NullDifference``,
``null_question``), query-focused heads (``FocusedHeads``, ``heads`` + ``null_question``),
or a user's own :class:`Scorer`. Terms (any, applied in this order):
the exact-match prior (``MatchTerm``, ``match_weight``), then the link (``LinkTerm``,
``link_head``; it spreads the scores the prior has already lifted).

What cannot combine, and why (:func:`check`):
- ``heads="auto"`` without ``null_question``: the heads are chosen for the focused scoring,
  which needs the null question.
- ``heads`` + ``link_head``: the link head is a head of *the* scoring layer, which ``heads``
  replaces by a set of (layer, head) pairs.
- ``null_question`` + ``link_head``: the link spreads the layer sum's peaks (its head is
  calibrated on them); null differences are relative, negative where the null question
  attends more. Never measured together, so refused rather than run untested.
- a user's scorer + ``heads`` or ``null_question``: all three choose the scorer.

``passes``, several questions (``select_many``) and the writer options are not scoring:
they combine with everything.
"""

from __future__ import annotations

from typing import Protocol

from ..errors import ConfigError
from .base import Scorer, Term
from .focused import FocusedHeads
from .heads import Head, HeadSum
from .layer_sum import LayerSum
from .link import LinkTerm
from .match import MatchTerm
from .null import NullDifference
from .pipeline import Pipeline


class Options(Protocol):
    """The scoring fields of ``InfiniRetriConfig`` (read only)."""

    @property
    def phrase_token_num(self) -> int: ...

    @property
    def use_question_weight(self) -> bool: ...

    @property
    def heads(self) -> tuple[tuple[int, int], ...] | str | None: ...

    @property
    def head_cut(self) -> float: ...

    @property
    def null_question(self) -> str | None: ...

    @property
    def link_head(self) -> int | str | None: ...

    @property
    def link_weight(self) -> float: ...

    @property
    def match_weight(self) -> float: ...

    @property
    def match_max_n(self) -> int: ...

    @property
    def match_max_share(self) -> float: ...


def check(options: Options) -> None:
    """Refuse pairs of options that cannot combine, saying why."""
    if options.heads == "auto" and options.null_question is None:
        raise ConfigError(
            "heads='auto' picks query-focused heads, scored against a null question: set "
            "null_question (e.g. 'N/A'), or name the heads"
        )
    if options.null_question is not None and options.link_head is not None:
        raise ConfigError(
            "link_head cannot be combined with null_question: the link term spreads the "
            "layer sum's sentence peaks (its head is calibrated on them), while the null "
            "difference makes them relative, negative where the null question attends "
            "more; the pair was never measured, so it is refused rather than run untested"
        )
    if options.heads is not None and options.link_head is not None:
        raise ConfigError(
            "link_head cannot be combined with heads: the link head is a head of the "
            "scoring layer, which heads replaces by a set of (layer, head) pairs; choose one"
        )


def build(
    options: Options,
    layer: int,
    link_head: int | None,
    scorer: Scorer | None = None,
    heads: tuple[Head, ...] | None = None,
) -> Pipeline:
    """The pipeline of ``options`` at the resolved ``layer``, ``link_head`` and ``heads``
    (``heads="auto"`` calibrated); ``scorer`` (a user's own) replaces the scorer the options
    would choose."""
    check(options)
    if scorer is None:
        scorer = _scorer(options, layer, heads)
    elif options.heads is not None or options.null_question is not None:
        raise ConfigError("a scorer object replaces heads and null_question: leave them unset")
    terms: list[Term] = []
    if options.match_weight:
        terms.append(MatchTerm(options.match_weight, options.match_max_n, options.match_max_share))
    if link_head is not None:
        terms.append(LinkTerm(layer, link_head, options.link_weight))
    return Pipeline(scorer, tuple(terms))


def _scorer(options: Options, layer: int, heads: tuple[Head, ...] | None) -> Scorer:
    phrase, weigh = options.phrase_token_num, options.use_question_weight
    if options.heads is not None:
        chosen = heads if heads is not None else options.heads
        if not isinstance(chosen, tuple):
            raise ConfigError("heads='auto' must be resolved (calibrated) before building")
        if options.null_question is not None:
            return FocusedHeads(chosen, options.null_question, options.head_cut)
        return HeadSum(chosen, phrase, weigh)
    if options.null_question is not None:
        return NullDifference(layer, phrase, weigh, options.null_question)
    return LayerSum(layer, phrase, weigh)
