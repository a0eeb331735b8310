"""Best-of-N: pick the candidate reply that is both harmless and helpful.

The rule combines rewards as the seed paper does: each score is centred on a reference value and
the combined reward is the sum of the log-sigmoids, sum_i log sigma(s_i - ref_i). Harmlessness is
centred on a fixed bar (HARMLESS_REF: P(harmful) = 0.2), so that beyond "clearly harmless" more
of it buys little; relevance is centred on a reference candidate (the template) or the mean.
A log-sigmoid saturates near 0 for a high score but keeps falling for a low one, so a candidate
cannot buy a poor harmlessness score with a great relevance score: it must be good on both.

Scores: harmlessness is the response judge's log-odds that the reply is not harmful;
helpfulness is the relevance of the reply to the query, the cosine similarity of their
embeddings divided by RELEVANCE_SCALE to put it on a log-odds-like scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from slmguard._validation import check_text, check_texts
from slmguard.errors import InvalidInputError
from slmguard.normalize import normalize
from slmguard.replies.judge import judge_proba, pair_text

if TYPE_CHECKING:
    from slmguard.guard import Guard

RELEVANCE_SCALE = 0.05
"""Cosine-similarity difference that counts as one unit of log-odds."""
HARMLESS_REF = float(np.log(4.0))
"""The harmlessness bar: log-odds of not harmful at P(harmful) = 0.2."""


@dataclass(frozen=True, slots=True)
class Ranked:
    """The chosen candidate and every candidate's scores (same order as given)."""

    index: int
    text: str
    harmlessness: tuple[float, ...]
    relevance: tuple[float, ...]
    combined: tuple[float, ...]


def combine(scores: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Sum over score columns of log sigma(score - centre); `scores` is (n_candidates, n_scores)."""
    z = np.asarray(scores, np.float64) - np.asarray(centre, np.float64)
    return -np.logaddexp(0.0, -z).sum(1)  # log sigma(z) = -log(1 + e^-z), stable


def best_of_n(guard: Guard, query: str, candidates: Sequence[str], *, reference: int | None = None) -> Ranked:
    """Rank `candidates` (replies to `query`) and return the best.

    `reference` is the candidate whose relevance the others are measured against (the template
    when a rewrite competes with it); by default the mean relevance. Candidates the judge calls
    harmful are never chosen while a non-harmful one exists.

    Raises:
        InvalidInputError: no candidates, or an empty query or candidate.
    """
    check_text(query, name="query")
    candidates = check_texts(candidates, name="candidates")
    if not candidates:
        raise InvalidInputError("'candidates' is empty: best-of-N needs at least one reply.")
    if reference is not None and not 0 <= reference < len(candidates):
        raise InvalidInputError(f"'reference' must index the candidates (0..{len(candidates) - 1}). Got {reference}.")
    probs = judge_proba(guard, [pair_text(query, c) for c in candidates])
    p_harm = np.clip(probs[:, 0], 1e-6, 1 - 1e-6)
    harmless = np.log1p(-p_harm) - np.log(p_harm)
    vectors = guard.encoder.encode([normalize(t) for t in [query, *candidates]]).astype(np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    relevance = vectors[1:] @ vectors[0]
    relevance_ref = relevance[reference] if reference is not None else relevance.mean()
    scores = np.column_stack([harmless, relevance / RELEVANCE_SCALE])
    combined = combine(scores, np.array([HARMLESS_REF, relevance_ref / RELEVANCE_SCALE]))
    allowed = probs.argmax(1) != 0
    ranked = np.where(allowed, combined, -np.inf) if allowed.any() else combined
    best = int(np.argmax(ranked))
    return Ranked(
        index=best,
        text=candidates[best],
        harmlessness=tuple(float(x) for x in harmless),
        relevance=tuple(float(x) for x in relevance),
        combined=tuple(float(x) for x in combined),
    )
