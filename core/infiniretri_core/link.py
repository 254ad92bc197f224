"""Link scoring (option ``link_head``): carry the question's attention one hop further.

Beyond the paper. A two-hop question ("where did the night porter of the museum grow up?")
needs a bridge sentence that shares its words ("The night porter of the museum is a person
named Anselm Quist.") and an answer sentence that shares none ("Anselm Quist grew up in
Ystad."). The question's attention finds the bridge and carries it in the cache, but ranks
the answer sentence like any essay sentence (SmolLM2-135M, layer 18: 14th-26th of ~50 in
its chunk). Some heads, though, make a name attend to its earlier mention: by one such head's
attention from each context token to the other context sentences, weighted by how well the
question scored those sentences, the answer sentence ranks first in its chunk (8 of 8
two-hop cases for head 7 of SmolLM2's layer 18).

A token's link score is ``sum_k A[t, k] * peak(sentence(k))`` over the context columns
``k`` outside ``t``'s own sentence, ``peak`` being the question's sentence peaks of the same
step; ``score = question_score + link_weight * link_score``. The link head is read at the
scoring layer, so it costs one head's context-by-context attention, not another layer.
Causal attention links only forward: an answer sentence read *before* its bridge is not
helped (the reverse two-hop task).
"""

from __future__ import annotations

import torch

from . import scoring


def link_scores(rows: torch.Tensor, scores: torch.Tensor, owner: torch.Tensor) -> torch.Tensor:
    """Link score per context token.

    ``rows`` (N, N): the link head's attention of the context rows over the context columns;
    ``scores`` (N,): the question's token scores; ``owner`` (N,): each token's sentence.
    """
    n = int(owner.max()) + 1 if owner.numel() else 0
    peaks = scoring.sentence_peaks(scores.float(), owner, n)
    source = peaks.clamp_min(0)[owner]
    own = owner[:, None] == owner[None, :]
    return rows.float().masked_fill(own, 0.0) @ source
