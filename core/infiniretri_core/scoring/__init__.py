"""Scoring: captured attention -> token scores (scorers), adjusted (terms), phrase-filtered.

``phrase`` holds the paper's arithmetic (box filter, question weights, sentence peaks,
top-K) once; ``factory`` builds a :class:`Pipeline` from the flat config and is the one
place that says what combines. A user's own scorer subclasses :class:`Scorer`.
"""

from .base import PreparedTerm, QuestionRows, Scorer, Term, TermStep
from .factory import build, check
from .heads import HeadSum
from .layer_sum import KeptWeights, LayerSum
from .link import LinkTerm
from .match import MatchTerm
from .null import NullDifference, NullWeights
from .phrase import box_filter, question_weights, rank_of, sentence_peaks, token_scores, top_tokens
from .pipeline import Pipeline, QuestionState

__all__ = [
    "HeadSum",
    "KeptWeights",
    "LayerSum",
    "LinkTerm",
    "MatchTerm",
    "NullDifference",
    "NullWeights",
    "Pipeline",
    "PreparedTerm",
    "QuestionRows",
    "QuestionState",
    "Scorer",
    "Term",
    "TermStep",
    "box_filter",
    "build",
    "check",
    "question_weights",
    "rank_of",
    "sentence_peaks",
    "token_scores",
    "top_tokens",
]
