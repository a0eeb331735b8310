"""Cascaded scoring: a cheaper first score settles the texts far from every threshold.

Two cascades use it. Two-pass: the heads were trained with the language-restricted encoder block
(MiniLM) dropped at random, so they can decide from e5 alone; only texts within `margin` of a
threshold are encoded again with the full concatenation. Early exit (`heads.early_exit`): heads
on e5's first layers settle a text before the remaining layers run. Either margin is chosen on
dev (`choose_margin`) so that the cascade's labels seldom differ from the full model's.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence

import numpy as np

from slmguard.heads.thresholds import tier_labels, tier_overrides
from slmguard.taxonomy import Taxonomy

MAX_FLIP_RATE = 0.005
"""At most this share of the dev rows may change label. A first try let the early exit change 1 %
(on dev its changes went both ways), but on the English test sets it then lost 1 to 3.5 points of
harmful recall against the full model (BENCHMARKS.md, "Cascade")."""
MARGINS = (*(round(m, 2) for m in np.arange(0.05, 0.96, 0.05)), 0.97, 0.99)
"""Candidate margins, smallest (fastest) first. The last steps are finer: an exit on few layers
is sure of fewer texts, and its margin must sit close to certainty."""


def decision_margin(
    tier: np.ndarray,
    taxonomy: Taxonomy,
    *,
    cats: np.ndarray | None = None,
    codes: Sequence[str] = (),
    standalone: Collection[str] = (),
) -> np.ndarray:
    """Per row, how far the calibrated scores are from the nearest threshold that sets the label,
    as a share of the room on that side (0 at the threshold, 1 at a probability of 0 or 1), so that
    a threshold of 0.4 leaves as much room below it as above.

    Those are the unsafe and sensitive thresholds, and the probability at which a category raises
    the label by itself (`tier_overrides`: the taxonomy's `overrides_tier_at`, and the threshold of
    a `standalone` category added by `slmguard train --extend`).
    """
    margin = np.minimum(
        _relative_distance(tier[:, 2], taxonomy.unsafe_threshold),
        _relative_distance(tier[:, 1], taxonomy.sensitive_threshold),
    )
    if cats is None:
        return margin
    for code, at in tier_overrides(taxonomy, standalone).items():
        margin = np.minimum(margin, _relative_distance(cats[:, list(codes).index(code)], at))
    return margin


def _relative_distance(p: np.ndarray, threshold: float) -> np.ndarray:
    below = (threshold - p) / max(threshold, 1e-9)
    above = (p - threshold) / max(1.0 - threshold, 1e-9)
    return np.where(p < threshold, below, above)


def choose_margin(
    full: np.ndarray, first: np.ndarray, taxonomy: Taxonomy, *, max_flip_rate: float = MAX_FLIP_RATE
) -> float | None:
    """The smallest margin whose cascade labels differ from the full ones on at most `max_flip_rate` of the rows.

    Args:
        full: calibrated tier probabilities of dev rows from the full model.
        first: the same rows' probabilities from the cheaper first score.

    Returns None when no candidate margin keeps the labels (then every text gets the full model).
    The one-stage case of `choose_margins`: the fewest rows sent on is the smallest margin that keeps them.
    """
    chosen = choose_margins(full, [first], [1], 2, taxonomy, max_flip_rate=max_flip_rate)
    return None if chosen is None else chosen[0][0]


def choose_margins(
    full: np.ndarray,
    exits: Sequence[np.ndarray],
    layers: Sequence[int],
    total_layers: int,
    taxonomy: Taxonomy,
    *,
    max_flip_rate: float = MAX_FLIP_RATE,
) -> tuple[tuple[float | None, ...], np.ndarray] | None:
    """Margins for a chain of exits (after `layers[0]` layers, then `layers[1]`, …) that run the
    fewest layers per dev row while the chain's labels differ from the full model's on at most
    `max_flip_rate` of the rows; and the exit each row leaves at (len(exits): the full model).

    Args:
        full: calibrated tier probabilities of the dev rows from the full model.
        exits: the same rows' probabilities from each exit's heads, in chain order.

    Every combination of `MARGINS` is tried, since a loose first exit leaves less of the budget
    to the next, and so is leaving an exit out (its margin None: no text stops there). Returns
    None when no exit can be kept.
    """
    if len(full) == 0 or not exits:
        return None
    want = tier_labels(full, taxonomy)
    labels = [tier_labels(p, taxonomy) for p in exits]
    near = [decision_margin(p, taxonomy) for p in exits]
    steps = np.diff([0, *layers, total_layers])  # layers run between one exit and the next
    best: tuple[float, tuple[float | None, ...], np.ndarray] | None = None
    for margins in itertools.product((*MARGINS, None), repeat=len(exits)):
        leaves = np.full(len(full), len(exits))
        for k in reversed(range(len(exits))):  # the first exit a row is sure at
            if margins[k] is not None:
                leaves = np.where(near[k] >= margins[k], k, leaves)
        chain = np.choose(leaves, [*labels, want])
        if np.mean(chain != want) > max_flip_rate:
            continue
        cost = float(sum(np.mean(leaves >= k) * steps[k] for k in range(len(steps))))
        if best is None or cost < best[0] - 1e-12:
            best = (cost, margins, leaves)
    if best is None or all(m is None for m in best[1]):
        return None
    return best[1], best[2]
