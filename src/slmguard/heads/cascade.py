"""Two-pass scoring: run the second encoder only for the texts whose first-pass decision is close.

The heads were trained with the language-restricted encoder block (MiniLM) dropped at random, so
they can decide from e5 alone. Most texts are far from every threshold on that first pass; only
those within `margin` of one are encoded again with the full concatenation. The margin is
chosen on dev (`choose_margin`) so that the two-pass labels almost never differ from the full ones.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from slmguard.heads.thresholds import tier_labels
from slmguard.taxonomy import Taxonomy

MAX_FLIP_RATE = 0.005
"""At most this share of the dev rows that the skipped encoder reads may change label."""
MARGINS = tuple(round(m, 2) for m in np.arange(0.05, 0.51, 0.05))
"""Candidate margins, smallest (fastest) first."""


def decision_margin(
    tier: np.ndarray,
    taxonomy: Taxonomy,
    *,
    cats: np.ndarray | None = None,
    codes: Sequence[str] = (),
    standalone: Collection[str] = (),
) -> np.ndarray:
    """Per row, how far the calibrated scores are from the nearest threshold that sets the label.

    Those are the unsafe and sensitive thresholds, and the own threshold of every standalone
    category (one added by `slmguard train --extend`, which raises the label by itself).
    """
    unsafe, sensitive = (
        np.abs(tier[:, 2] - taxonomy.unsafe_threshold),
        np.abs(tier[:, 1] - taxonomy.sensitive_threshold),
    )
    margin = np.minimum(unsafe, sensitive)
    if cats is None:
        return margin
    for c in taxonomy.categories:
        if c.code in standalone:
            margin = np.minimum(margin, np.abs(cats[:, list(codes).index(c.code)] - c.threshold))
    return margin


def choose_margin(
    full: np.ndarray, first: np.ndarray, taxonomy: Taxonomy, *, max_flip_rate: float = MAX_FLIP_RATE
) -> float | None:
    """The smallest margin whose two-pass labels differ from the full ones on at most `max_flip_rate` of the rows.

    Args:
        full: calibrated tier probabilities from the full vectors of dev rows the skipped encoder reads.
        first: the same rows' probabilities with that encoder's block zeroed (the first pass).

    Returns None when no candidate margin keeps the labels (then every text gets both encoders).
    """
    if len(full) == 0:
        return None
    want, first_labels = tier_labels(full, taxonomy), tier_labels(first, taxonomy)
    near = decision_margin(first, taxonomy)
    for m in MARGINS:
        two_pass = np.where(near >= m, first_labels, want)
        if np.mean(two_pass != want) <= max_flip_rate:
            return float(m)
    return None
