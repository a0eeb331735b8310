"""Strategy registry, the gold strategy of a tier + categories, and the choice for a verdict."""

from __future__ import annotations

import pytest

from slmguard import InvalidInputError, load_taxonomy
from slmguard.replies import (
    CATEGORY_STRATEGY,
    NONE,
    STRATEGIES,
    STRATEGY_CLASSES,
    choose_strategy,
    get_strategy,
    strategy_fits,
)
from slmguard.replies import strategy_for as gold


def test_every_default_category_has_a_strategy() -> None:
    assert set(load_taxonomy().codes) <= set(CATEGORY_STRATEGY)
    assert STRATEGY_CLASSES[0] == NONE and set(STRATEGY_CLASSES[1:]) == set(STRATEGIES)
    assert [name for name, s in STRATEGIES.items() if not s.refuses] == ["balanced"]


@pytest.mark.parametrize(
    ("label", "codes", "expected"),
    [
        ("safe", (), NONE),
        ("sensitive", ("sensitive",), "balanced"),
        ("sensitive", ("S6",), "balanced"),  # the sensitive tier never refuses
        ("unsafe", ("S2",), "protect"),
        ("unsafe", ("S8",), "summarise"),
        ("unsafe", ("S6",), "professional"),
        ("unsafe", ("S7",), "privacy"),
        ("unsafe", ("S2", "S11"), "crisis"),  # self-harm first
        ("unsafe", ("S2", "S9"), "decline"),  # the more severe harm decides
        ("unsafe", ("prompt_attack",), "attack"),
        ("unsafe", ("toxicity",), "deescalate"),
        ("unsafe", ("weapons",), "decline"),  # a user taxonomy's own code
    ],
)
def test_gold_strategy(label: str, codes: tuple[str, ...], expected: str) -> None:
    assert gold(label, codes) == expected


def test_choose_follows_the_head_among_the_refusing_strategies_of_the_flagged_categories() -> None:
    probs = {"none": 0.5, "balanced": 0.3, "protect": 0.15, "privacy": 0.1, "decline": 0.05}
    assert choose_strategy("unsafe", ("S1",), probs) == "decline"  # the reply names the harm the verdict names
    assert choose_strategy("unsafe", ("S1", "S7"), probs) == "privacy"  # the head decides among the flagged
    assert choose_strategy("unsafe", ("my_policy_code",), probs) == "decline"  # a code of a user taxonomy
    assert choose_strategy("sensitive", ("sensitive",), {"balanced": 0.6, "decline": 0.4}) == "balanced"
    assert choose_strategy("sensitive", ("sensitive",), {"balanced": 0.2, "decline": 0.7}) == "decline"
    assert choose_strategy("unsafe", ("S1", "S11"), {"decline": 0.99}) == "crisis"
    assert choose_strategy("unsafe", ("S8",), None) == "summarise"  # no head: the flagged categories


def test_a_strategy_fits_the_strategy_of_any_gold_category_or_the_gold_strategy() -> None:
    assert strategy_fits("decline", ("S1",)) and not strategy_fits("protect", ("S1",))
    assert strategy_fits("protect", ("S1", "S2"))  # any gold category's strategy fits
    assert strategy_fits("decline", ("my_policy_code",))  # an unmapped code: its gold strategy, decline


def test_unknown_strategy_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidInputError, match="Unknown reply strategy 'nope'. Valid: attack, balanced"):
        get_strategy("nope")
