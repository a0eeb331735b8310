"""Turn calibrated scores into a decision: label, flagged codes and action, per the taxonomy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slmguard.taxonomy import Taxonomy
from slmguard.verdict import Action, Label


@dataclass(frozen=True, slots=True)
class Decision:
    label: Label
    flagged: tuple[str, ...]
    action: Action


def decide(tier_probs: np.ndarray, category_probs: dict[str, float], taxonomy: Taxonomy) -> Decision:
    """Decide one text.

    The tier head decides the label. Flagged codes are the categories of that tier over
    their own thresholds; an unsafe text with none over threshold flags its most likely
    unsafe category, so every block names a reason. The action is the strictest action
    among the flagged categories.
    """
    p_sensitive, p_unsafe = float(tier_probs[1]), float(tier_probs[2])
    if p_unsafe >= taxonomy.unsafe_threshold:
        label = Label.UNSAFE
    elif p_sensitive >= taxonomy.sensitive_threshold:
        label = Label.SENSITIVE
    else:
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
