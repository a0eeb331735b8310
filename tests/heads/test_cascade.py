from __future__ import annotations

import numpy as np
import pytest

from slmguard import load_taxonomy
from slmguard.heads.cascade import MARGINS, choose_margin, choose_margins, decision_margin
from slmguard.heads.thresholds import tier_labels

TAX = load_taxonomy().with_policy(unsafe_threshold=0.5, sensitive_threshold=0.5)


def _tier(unsafe: np.ndarray, sensitive: float = 0.0) -> np.ndarray:
    unsafe = np.asarray(unsafe, float)
    return np.column_stack([1.0 - unsafe - sensitive, np.full_like(unsafe, sensitive), unsafe])


def test_margin_is_the_distance_to_the_nearest_threshold_as_a_share_of_the_room_on_that_side() -> None:
    tier = np.array([[0.9, 0.05, 0.05], [0.1, 0.45, 0.45], [0.0, 0.2, 0.8]])
    np.testing.assert_allclose(decision_margin(tier, TAX), [0.9, 0.1, 0.6])
    low = TAX.with_policy(unsafe_threshold=0.4)  # 0.4 of room below the threshold, 0.6 above
    np.testing.assert_allclose(decision_margin(_tier([0.0, 0.2, 0.7, 1.0]), low), [1.0, 0.5, 0.5, 1.0])


def test_a_standalone_category_near_its_threshold_shrinks_the_margin() -> None:
    tier = np.array([[0.9, 0.05, 0.05]])
    codes = TAX.codes
    cats = np.full((1, len(codes)), 0.01)
    cats[0, codes.index("S9")] = next(c.threshold for c in TAX.categories if c.code == "S9") + 0.02
    threshold = next(c.threshold for c in TAX.categories if c.code == "S9")
    assert decision_margin(tier, TAX, cats=cats, codes=codes)[0] == pytest.approx(0.9)
    assert decision_margin(tier, TAX, cats=cats, codes=codes, standalone=["S9"])[0] == pytest.approx(
        0.02 / (1 - threshold)
    )


def test_a_category_near_its_override_shrinks_the_margin() -> None:
    codes = TAX.codes
    at = TAX["S11"].overrides_tier_at
    assert at is not None
    cats = np.full((1, len(codes)), 0.01)
    cats[0, codes.index("S11")] = at - 0.05
    tier = np.array([[0.9, 0.05, 0.05]])
    assert decision_margin(tier, TAX, cats=cats, codes=codes)[0] == pytest.approx(0.05 / at)


def test_the_smallest_margin_that_keeps_the_labels_is_chosen() -> None:
    full = _tier(np.linspace(0.0, 1.0, 1000))
    first = _tier(np.clip(np.linspace(0.0, 1.0, 1000) + 0.1, 0, 1))  # the first pass reads every text as worse
    # rows at 0.4-0.5 flip to unsafe; a margin of 0.15 (0.075 above 0.5) leaves those it puts at 0.575-0.6 wrong
    assert np.mean(tier_labels(first, TAX) != tier_labels(full, TAX)) > 0.05
    assert choose_margin(full, first, TAX) == 0.2
    assert choose_margin(full, first, TAX, max_flip_rate=0.03) == 0.15
    assert choose_margin(full, full, TAX) == MARGINS[0]


def test_no_margin_when_the_first_pass_cannot_be_trusted() -> None:
    full, first = _tier(np.zeros(50)), _tier(np.ones(50))  # confidently wrong, beyond the largest margin
    assert choose_margin(full, first, TAX) is None
    assert choose_margin(full[:0], first[:0], TAX) is None


def test_a_chain_of_exits_gets_the_margins_that_run_the_fewest_layers_within_the_label_budget() -> None:
    scores = np.linspace(0.0, 1.0, 1000)
    full = _tier(scores)
    early = _tier(np.clip(scores + 0.1, 0, 1))  # after 3 layers: reads every text as worse
    late = full.copy()  # after 6 layers: as the full model
    (m3, m6), leaves = choose_margins(full, [early, late], [3, 6], 12, TAX)
    assert m6 == MARGINS[0]  # the second exit is exact: its smallest margin costs no label
    assert m3 == choose_margin(full, early, TAX)  # the first takes all of the budget the second leaves
    assert set(np.unique(leaves)) <= {0, 1, 2}
    chain = np.choose(leaves, [tier_labels(early, TAX), tier_labels(late, TAX), tier_labels(full, TAX)])
    assert np.mean(chain != tier_labels(full, TAX)) <= 0.005
    # with one exit it is the one-exit choice
    (only,), _ = choose_margins(full, [early], [3], 12, TAX)
    assert only == choose_margin(full, early, TAX)


def test_a_useless_first_exit_is_passed_by_and_an_untrustworthy_chain_gets_no_margins() -> None:
    scores = np.linspace(0.0, 1.0, 1000)
    full, wrong = _tier(scores), _tier(1.0 - scores)  # confidently wrong almost everywhere
    (m_wrong, m_good), leaves = choose_margins(full, [wrong, full], [3, 6], 12, TAX)
    assert m_wrong is None and not np.any(leaves == 0) and m_good == MARGINS[0]
    assert choose_margins(_tier(np.zeros(50)), [_tier(np.ones(50))], [3], 12, TAX) is None
    assert choose_margins(full[:0], [full[:0]], [3], 12, TAX) is None
