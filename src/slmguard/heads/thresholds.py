"""Turn calibrated scores into a decision: label, flagged codes and action, per the taxonomy."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from slmguard.taxonomy import Taxonomy
from slmguard.verdict import Action, Label


@dataclass(frozen=True, slots=True)
class Decision:
    label: Label
    flagged: tuple[str, ...]
    action: Action


def tune_threshold(y_true: np.ndarray, y_prob: np.ndarray, *, max_fpr: float = 0.05) -> float:
    """The threshold with the best F1 among those whose false-positive rate is at most `max_fpr`.

    Meant for dev data only; over-blocking is a failure too, hence the FPR bound.
    """
    y_true = np.asarray(y_true).astype(bool)
    best_t, best_f1 = 0.5, -1.0
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        pred = np.asarray(y_prob) >= t
        tp, fp = np.sum(pred & y_true), np.sum(pred & ~y_true)
        fn = np.sum(~pred & y_true)
        fpr = fp / max(np.sum(~y_true), 1)
        f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        if fpr <= max_fpr and f1 > best_f1:
            best_t, best_f1 = float(t), f1
    return best_t


_RANK = {Label.SAFE: 0, Label.SENSITIVE: 1, Label.UNSAFE: 2}
_TIER_LABELS = (Label.SAFE, Label.SENSITIVE, Label.UNSAFE)


def tier_labels(tier: np.ndarray, taxonomy: Taxonomy) -> np.ndarray:
    """Tier index per row of calibrated tier probabilities (0 safe, 1 sensitive, 2 unsafe): the taxonomy's rule.

    Unsafe at or over the unsafe threshold; otherwise sensitive at or over the sensitive threshold.
    """
    tier = np.atleast_2d(tier)
    return np.where(
        tier[:, 2] >= taxonomy.unsafe_threshold, 2, np.where(tier[:, 1] >= taxonomy.sensitive_threshold, 1, 0)
    )


def tier_overrides(taxonomy: Taxonomy, standalone: Collection[str] = ()) -> dict[str, float]:
    """The categories that set the label on their own, each with the probability at which it does:
    those the taxonomy gives `overrides_tier_at`, and the `standalone` ones at their threshold (a
    category added by `slmguard train --extend`, which the tier head never learnt)."""
    out = {c.code: c.overrides_tier_at for c in taxonomy.categories if c.overrides_tier_at is not None}
    for c in taxonomy.categories:
        if c.code in standalone:
            out[c.code] = min(out.get(c.code, 1.0), c.threshold)
    return out


def decide(
    tier_probs: np.ndarray,
    category_probs: dict[str, float],
    taxonomy: Taxonomy,
    *,
    standalone: Collection[str] = (),
) -> Decision:
    """Decide one text.

    The tier head decides the label, except that a category at or over its `tier_overrides`
    probability raises the label to its own tier. Flagged codes are the categories of that tier
    over their own thresholds; an unsafe text with none over threshold flags its most likely
    unsafe category, so every block names a reason. The action is the strictest action among the
    flagged categories.
    """
    label = _TIER_LABELS[int(tier_labels(tier_probs, taxonomy)[0])]
    for code, at in tier_overrides(taxonomy, standalone).items():
        its_tier = taxonomy[code].tier
        if category_probs[code] >= at and _RANK[its_tier] > _RANK[label]:
            label = Label(its_tier)
    if label == Label.SAFE:
        return Decision(Label.SAFE, (), Action.ALLOW)
    of_tier = [c for c in taxonomy.categories if c.tier == label]
    if not of_tier:  # a user taxonomy may define no category for this tier
        return Decision(label, (), Action.CAUTION if label == Label.SENSITIVE else Action.BLOCK)
    flagged = [c for c in of_tier if category_probs[c.code] >= c.threshold]
    if not flagged:
        flagged = [max(of_tier, key=lambda c: category_probs[c.code])]
    action = max((c.action for c in flagged), key=lambda a: a.severity)
    if label == Label.SENSITIVE:
        action = Action.CAUTION  # sensitive means answer carefully: never a block
    return Decision(label, tuple(c.code for c in flagged), action)
