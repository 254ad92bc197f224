"""Every hyper-parameter in one frozen, validated place (the authors' defaults unless noted)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from .errors import ConfigError
from .scoring import factory
from .scoring.heads import normalise as normalise_heads

#: The authors' prompt (``infini_retri/main.py``), used both while reading and for the answer.
DEFAULT_PROMPT = (
    "Read the book and answer the question. Be very concise in your answer.\n\n"
    "{context}\n\nQuestion:\n\n{question}\n\nAnswer:"
)

LayerSpec = int | Literal["auto", "last"]

_PAPER: Mapping[str, Any] = MappingProxyType(
    {
        "heads": None,
        "null_question": None,
        "link_head": None,
        "passes": 1,
        "match_weight": 0.0,
        "writer_order": "document",
        "keep": "step",
        "pool_tokens": None,
        "step_top_k": None,
    }
)

PRESETS: Mapping[str, Mapping[str, Any]] = {
    "paper": _PAPER,
    "fast": _PAPER,
    "recommended": {
        "heads": None,
        "null_question": None,
        "link_head": "auto",
        "passes": 2,
        "match_weight": 0.5,
        "writer_order": "score",
        "keep": "step",
        "pool_tokens": None,
        "step_top_k": None,
    },
    "focused": {
        "heads": "auto",
        "null_question": "N/A",
        "link_head": None,
        "passes": 1,
        "match_weight": 0.0,
        "writer_order": "document",
        "keep": "best",
        "top_k": 1000,
        "pool_tokens": None,
        "step_top_k": 300,
    },
}
"""``scoring=`` presets: the options each sets (an option given with it overrides it).
``"paper"`` sets the authors' scoring and writer, but three defaults it leaves depart from
their method: ``layer="auto"`` (theirs: the last layer, ``"last"``), ``max_cache_tokens=2048``
(theirs: no bound, ``None``) and ``max_sentence_tokens=256`` (they split sentences only at
``chunk_size``). The authors' method exactly is ``preset("paper", layer="last",
max_cache_tokens=None, max_sentence_tokens=1024)``. ``"recommended"`` adds what won on this
project's two-hop and exact-key benchmarks (``docs/benchmarks.md``), with the exact-match
prior at 0.5: at 1 or 2 it cost a reverse two-hop case its answer (the prior lifts the
bridge's look-alike words above the link; dev seeds, ``docs/benchmarks.md``). Not the
default: on the real
questions' dev half it kept slightly fewer gold sentences than ``"paper"`` and ranked them
lower, and two passes cost twice the reading (``docs/benchmarks.md``, issue 20).
``"focused"``: the query-focused head chosen per model on real questions (``heads="auto"``),
the cache kept by each sentence's best score, ~1,000 tokens of it; the read of the cascade
(``ranker=``), whose ranker orders that cache (``docs/engine.md``; for the embedded reader
``ranker="auto"`` brings it, ``cascade.py``). ``"fast"``: the paper's read under the name of
what it is for, about a third of the cascade's cost, no ranker; a config with these values
reports ``scoring == "paper"``. Every preset leaves
``pool_tokens`` off: on dev it kept more gold but the answers from it were fewer.
``"focused"`` alone sets ``step_top_k=300`` (the paper's K): a sentence read in a late step
gets one draw against the best of many older ones, and lost NIH's needle at 128k, depth 100
without it (``docs/benchmarks.md``)."""

DEFAULT_SCORING = "paper"
"""The preset whose values the fields below default to (checked by a test)."""


@dataclass(frozen=True)
class InfiniRetriConfig:
    """Hyper-parameters of the read loop and of the answer.

    Three defaults depart from the paper's. ``layer``: the paper scores with the last layer,
    which retrieves badly on small models; ``"auto"`` calibrates the best layer per model
    from synthetic needle probes (``"last"`` restores the paper's choice). And two bounds
    the authors do not have: ``max_sentence_tokens`` and ``max_cache_tokens`` (each below).
    """

    chunk_size: int = 1024
    """Tokens of new document text per step (the cache comes on top)."""
    top_k: int = 300
    """Highest-scoring context tokens whose sentences are kept after each step."""
    phrase_token_num: int = 8
    """Width of the box filter that turns token scores into phrase scores."""
    use_question_weight: bool = True
    """Weight each query row by its attention mass on the question (squared)."""
    layer: LayerSpec = "auto"
    """Scoring layer: an index (negative counts from the end), ``"auto"`` or ``"last"``."""
    max_sentence_tokens: int = 256
    """Longer sentences are split (on whitespace, else by characters). The authors split
    only at ``chunk_size``; a tighter bound keeps whole-sentence caches small."""
    keep: Literal["step", "best"] = "step"
    """Which sentences stay in the cache after each step. ``"step"`` (the paper's): those
    holding one of this step's top-K tokens. ``"best"``, beyond the paper: sentences ranked
    by the best score they have had in any step, the best kept until they hold ``top_k``
    tokens, so a sentence that once ranked high stays until better ones fill the cache
    (needs scores comparable across steps, as the query-focused heads' are)."""
    pool_tokens: int | None = None
    """Beyond the paper, with ``keep="best"``: the best-scored sentences that left the cache,
    up to this many tokens, are remembered and join it at the end (not read with later
    chunks, so reading costs what the cache alone costs; a later pass reads them as it reads
    all that no cache holds), for the ``ranker`` to rank: what a larger cache would have
    kept, at the smaller one's cost. ``None``: none remembered."""
    step_top_k: int | None = None
    """Beyond the paper, with ``keep="best"``: also keep the sentences holding this step's own
    top ``step_top_k`` tokens (the paper's rule on this step's scores alone). A sentence read
    late has had one score against the best of many steps; this keeps it while its own step
    ranks it high (a needle in the last chunk of 128k tokens). ``None``: best scores alone."""
    max_cache_tokens: int | None = 2048
    """Upper bound of the sentence cache; lowest-scoring sentences leave first. ``None``
    keeps every sentence that holds a top-K token, as the authors do."""
    answer_max_tokens: int | None = None
    """Token budget of the context given to the writer (best sentences, document order).
    ``None`` gives it the whole cache, as the paper does."""
    writer_order: Literal["document", "score"] = "document"
    """Order of the writer's sentences: ``"document"`` (the paper's) or ``"score"``, beyond
    the paper: lowest score first, the best sentence last, next to the question (a small
    writer copies from the sentence nearest the question more often)."""
    max_new_tokens: int = 128
    """Greedy decoding length of the answer."""
    repeat_guard: int | None = 16
    """Beyond the paper: the answer ends where it starts to repeat itself (a run of this
    many tokens, or a sentence, written again), a small writer's habit under greedy decoding.
    No token choice is changed. ``None``: no guard."""
    max_document_tokens: int | None = None
    """Refuse longer documents with :class:`DocumentTooLong` (tokenizing stops at the limit),
    a guard for servers that take documents from users. ``None``: no limit."""
    abbreviation_chars: int = 8
    """A piece after a '.' that is at most this long is merged into the sentence (e.g. 'Mr.')."""
    prompt_template: str = DEFAULT_PROMPT
    """Must contain ``{context}`` before ``{question}``, each once."""
    null_question: str | None = None
    """Beyond the paper: score tokens by the question's attention minus that of this
    content-free question (e.g. ``"N/A"``) over the same step (``null.py``). ``None``: the
    paper's scoring."""
    heads: tuple[tuple[int, int], ...] | Literal["auto"] | None = None
    """Beyond the paper: score with these (layer, head) pairs instead of the sum of one
    layer's heads (``heads.py``); ``layer`` is then ignored. With ``null_question``, the
    query-focused heads (``focused.py``): each head's attention minus the null question's,
    whole sentences scored; ``"auto"`` (with ``null_question`` only) picks them by
    calibration on real questions. ``None``: the paper's scoring."""
    head_cut: float = 2.0
    """Query-focused heads: a head's differences below ``mean - head_cut * std`` over the
    step's context are set to zero (stray tokens the null question attends to far more)."""
    link_head: int | Literal["auto"] | None = None
    """Beyond the paper: add to each token's score the question's scores of the sentences it
    attends to through this head of the scoring layer (``link.py``), so that a sentence about
    an entity named in a kept sentence is kept too (two-hop questions). ``"auto"`` picks the
    head by calibration. ``None``: the paper's scoring."""
    link_weight: float = 0.5
    """Weight of the link score against the question's own score."""
    match_weight: float = 0.0
    """Beyond the paper: add an exact-match prior (the question's rare word sequences found
    verbatim, ``lexical.py``) to each step's scores, in units of the step's best score, so
    the one sentence of many look-alikes that carries an exact key is kept and ranked
    first. ``0``: the paper's scoring (attention only)."""
    match_max_n: int = 4
    """Longest word sequence of the question the exact-match prior looks for (tokens)."""
    match_max_share: float = 0.02
    """The exact-match prior ignores a sequence held by more than this share of the
    document's sentences (common words are no evidence)."""
    passes: int = 1
    """Beyond the paper: read the document this many times, each pass starting from the
    last pass's cache (what it holds is not read again), so a sentence read before the one
    that makes it relevant (an answer before its bridge) can be linked on the next pass.
    Each pass costs a full reading. ``1``: the paper's single pass."""

    def __post_init__(self) -> None:
        _check_int("chunk_size", self.chunk_size, 16)
        _check_int("top_k", self.top_k, 1)
        _check_int("phrase_token_num", self.phrase_token_num, 1)
        _check_int("max_sentence_tokens", self.max_sentence_tokens, 4)
        _check_int("max_new_tokens", self.max_new_tokens, 1)
        _check_int("abbreviation_chars", self.abbreviation_chars, 0)
        _check_int("passes", self.passes, 1)
        if self.max_cache_tokens is not None:
            _check_int("max_cache_tokens", self.max_cache_tokens, 1)
        if self.max_document_tokens is not None:
            _check_int("max_document_tokens", self.max_document_tokens, 1)
        if self.answer_max_tokens is not None:
            _check_int("answer_max_tokens", self.answer_max_tokens, 1)
        if self.repeat_guard is not None:
            _check_int("repeat_guard", self.repeat_guard, 2)
        if not isinstance(self.use_question_weight, bool):
            raise ConfigError(
                f"use_question_weight must be a bool, got {self.use_question_weight!r}"
            )
        if self.max_sentence_tokens > self.chunk_size:
            raise ConfigError(
                f"max_sentence_tokens ({self.max_sentence_tokens}) must not exceed "
                f"chunk_size ({self.chunk_size}): a chunk holds whole sentences"
            )
        if isinstance(self.layer, bool) or not (
            isinstance(self.layer, int) or self.layer in ("auto", "last")
        ):
            raise ConfigError(f"layer must be an int, 'auto' or 'last', got {self.layer!r}")
        _check_template(self.prompt_template)
        if self.null_question is not None and (
            not isinstance(self.null_question, str) or not self.null_question.strip()
        ):
            raise ConfigError("null_question must be a non-empty str or None")

        object.__setattr__(self, "heads", normalise_heads(self.heads))
        if self.link_head is not None and self.link_head != "auto":
            _check_int("link_head", self.link_head, 0)
        _check_number("link_weight", self.link_weight, lambda v: 0 < v < math.inf, "> 0")
        _check_number("head_cut", self.head_cut, lambda v: 0 < v < math.inf, "> 0")
        _check_number("match_weight", self.match_weight, lambda v: 0 <= v < math.inf, ">= 0")
        if self.keep not in ("step", "best"):
            raise ConfigError(f"keep must be 'step' or 'best', got {self.keep!r}")
        if self.step_top_k is not None:
            _check_int("step_top_k", self.step_top_k, 1)
            if self.keep != "best":
                raise ConfigError("step_top_k needs keep='best': keep='step' is that rule alone")
        if self.pool_tokens is not None:
            _check_int("pool_tokens", self.pool_tokens, 1)
            if self.keep != "best":
                raise ConfigError(
                    "pool_tokens needs keep='best': only best scores compare across steps"
                )
        if self.writer_order not in ("document", "score"):
            raise ConfigError(
                f"writer_order must be 'document' or 'score', got {self.writer_order!r}"
            )
        _check_int("match_max_n", self.match_max_n, 1)
        _check_number("match_max_share", self.match_max_share, lambda v: 0 < v <= 1, "in (0, 1]")
        factory.check(self)

    @classmethod
    def preset(cls, scoring: str, **changes: Any) -> InfiniRetriConfig:
        """The ``scoring`` preset (a name of :data:`PRESETS`), ``changes`` over it."""
        return cls().replace(scoring=scoring, **changes)

    @property
    def scoring(self) -> str:
        """The preset whose options this config has, or ``"custom"``."""
        for name, values in PRESETS.items():
            if all(getattr(self, k) == v for k, v in values.items()):
                return name
        return "custom"

    def replace(self, **changes: Any) -> InfiniRetriConfig:
        """A copy with some fields changed (validated again); unknown names are an error.

        ``scoring="paper"`` (or another preset of :data:`PRESETS`) sets that preset's options
        first; the other ``changes`` override them.
        """
        preset = changes.pop("scoring", None)
        if preset is not None:
            if preset not in PRESETS:
                raise ConfigError(f"unknown scoring preset {preset!r}; choose from {list(PRESETS)}")
            changes = {**PRESETS[preset], **changes}
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(f"unknown option(s) {unknown}; known: {sorted(known)}")
        return dataclasses.replace(self, **changes)


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")


def _check_number(name: str, value: object, ok: Callable[[float], bool], rule: str) -> None:
    """A real number (not a bool) for which ``ok`` holds; NaN fails every comparison."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not ok(value):
        raise ConfigError(f"{name} must be a number {rule}, got {value!r}")


def _check_template(template: object) -> None:
    if not isinstance(template, str):
        raise ConfigError("prompt_template must be a str")
    for field in ("{context}", "{question}"):
        if template.count(field) != 1:
            raise ConfigError(f"prompt_template must contain {field} exactly once")
    if template.index("{context}") > template.index("{question}"):
        raise ConfigError("prompt_template must put {context} before {question}")
    try:
        template.format(context="", question="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"prompt_template has other format fields: {exc}") from exc
