from __future__ import annotations

import numpy as np

from slmguard import Action, Label, load_taxonomy
from slmguard.heads import decide

TAX = load_taxonomy()


def _cats(**probs: float) -> dict[str, float]:
    return {code: probs.get(code, 0.01) for code in TAX.codes}


def test_safe_text_flags_nothing() -> None:
    d = decide(np.array([0.9, 0.05, 0.05]), _cats(S1=0.9), TAX)
    assert (d.label, d.flagged, d.action) == (Label.SAFE, (), Action.ALLOW)


def test_unsafe_takes_the_strictest_action_of_its_flags() -> None:
    d = decide(np.array([0.1, 0.0, 0.9]), _cats(S6=0.8, S9=0.7), TAX)
    assert d.label == Label.UNSAFE and set(d.flagged) == {"S6", "S9"} and d.action == Action.BLOCK


def test_specialised_advice_alone_is_a_caution() -> None:
    d = decide(np.array([0.1, 0.0, 0.9]), _cats(S6=0.8), TAX)
    assert d.flagged == ("S6",) and d.action == Action.CAUTION


def test_unsafe_without_a_category_over_threshold_names_the_likeliest() -> None:
    d = decide(np.array([0.3, 0.0, 0.7]), _cats(S2=0.3, S1=0.2), TAX)
    assert d.flagged == ("S2",) and d.action == Action.BLOCK


def test_sensitive_is_never_blocked() -> None:
    d = decide(np.array([0.2, 0.7, 0.1]), _cats(sensitive=0.9, S9=0.9), TAX)
    assert d.label == Label.SENSITIVE and d.flagged == ("sensitive",) and d.action == Action.CAUTION


def test_a_standalone_category_raises_the_label_to_its_tier_and_others_do_not() -> None:
    safe_head = np.array([0.9, 0.05, 0.05])
    d = decide(safe_head, _cats(sensitive=0.8), TAX, standalone={"sensitive"})
    assert (d.label, d.flagged, d.action) == (Label.SENSITIVE, ("sensitive",), Action.CAUTION)
    assert decide(safe_head, _cats(sensitive=0.3), TAX, standalone={"sensitive"}).label == Label.SAFE  # under threshold
    assert decide(safe_head, _cats(sensitive=0.8), TAX).label == Label.SAFE  # not standalone: the tier head decides
    unsafe_head = np.array([0.1, 0.0, 0.9])
    d = decide(unsafe_head, _cats(S1=0.9, sensitive=0.9), TAX, standalone={"sensitive"})
    assert d.label == Label.UNSAFE and d.flagged == ("S1",)  # a standalone category never lowers the label


def test_a_category_with_overrides_tier_at_raises_the_label_only_from_that_probability() -> None:
    safe_head = np.array([0.9, 0.05, 0.05])
    at = TAX["S11"].overrides_tier_at
    assert at is not None and at > TAX["S11"].threshold
    d = decide(safe_head, _cats(S11=at), TAX)
    assert (d.label, d.flagged, d.action) == (Label.UNSAFE, ("S11",), Action.BLOCK)
    between = (TAX["S11"].threshold + at) / 2  # over the flagging threshold, under the override
    assert decide(safe_head, _cats(S11=between), TAX).label == Label.SAFE
    sensitive_head = np.array([0.2, 0.7, 0.1])
    assert decide(sensitive_head, _cats(S11=at, sensitive=0.9), TAX).label == Label.UNSAFE


def test_a_standalone_category_raises_at_its_threshold_even_under_its_override() -> None:
    d = decide(np.array([0.9, 0.05, 0.05]), _cats(S11=TAX["S11"].threshold), TAX, standalone={"S11"})
    assert d.label == Label.UNSAFE and d.flagged == ("S11",)
