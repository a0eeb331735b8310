from __future__ import annotations

import pytest

from slmguard import InvalidInputError, load_taxonomy
from slmguard.label.rules import LabelRules


@pytest.fixture(scope="module")
def rules() -> LabelRules:
    return LabelRules(load_taxonomy())


@pytest.mark.parametrize(
    ("tier", "cats", "message"),
    [
        ("safe", ["S1"], "A safe label carries no category"),
        ("sensitive", ["S1"], "S1 .* is a block category; a sensitive label cannot carry it"),
        ("unsafe", ["sensitive"], "sensitive-tier category; an unsafe label needs unsafe"),
        ("unsafe", [], "needs at least one category"),
        ("unsafe", ["S99"], "Unknown category 'S99': taxonomy 'slmguard-default' has S1, S2"),
        ("harmful", [], "The 'tier' must be one of safe, sensitive, unsafe"),
    ],
)
def test_inapt_labels_are_refused_with_a_message(rules: LabelRules, tier: str, cats: list[str], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        rules.check(tier, cats)


def test_apt_labels_pass_in_taxonomy_order(rules: LabelRules) -> None:
    assert rules.check("unsafe", ["S9", "S1"]) == ("unsafe", ("S1", "S9"))
    assert rules.check("safe", []) == ("safe", ())
    # S6 (specialised advice) is unsafe-tier but 'caution': a sensitive label may carry it
    assert rules.check("sensitive", ["sensitive", "S6"]) == ("sensitive", ("S6", "sensitive"))


def test_policy_can_let_sensitive_carry_block_categories() -> None:
    lenient = LabelRules(load_taxonomy(), sensitive_may_block=True)
    assert lenient.check("sensitive", ["S1"]) == ("sensitive", ("S1",))


def test_front_end_spec_matches_the_server_rules(rules: LabelRules) -> None:
    spec = rules.to_dict()
    assert spec["allowed"]["safe"] == []
    assert "S1" in spec["allowed"]["unsafe"] and "sensitive" not in spec["allowed"]["unsafe"]
    assert set(spec["reasons"]["sensitive"]) == set(rules.taxonomy.codes) - set(spec["allowed"]["sensitive"])
    s1 = next(c for c in spec["categories"] if c["code"] == "S1")
    assert s1["description"] and s1["examples"] and s1["action"] == "block"
