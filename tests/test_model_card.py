from __future__ import annotations

from slmguard import Guard
from slmguard.heads import MultiTaskHeads, TemperatureScaler
from slmguard.heads.early_exit import EarlyExit
from slmguard.model_card import _early_exit_lines, _head_seeds, _two_pass_lines, render_model_card


def test_head_seeds_say_averaged_only_when_there_are_several() -> None:
    assert _head_seeds({"head_seeds": [1, 2, 3]}) == "head seeds 1, 2, 3 (logits averaged)"
    assert _head_seeds({"head_seeds": [0]}) == "head seed 0"
    assert _head_seeds({"head_seed": 2}) == "head seed 2"  # a model trained before ensembles


def test_two_pass_line_names_the_margin_and_its_dev_share_only_when_there_is_one() -> None:
    (line,) = _two_pass_lines({"cascade_margin": 0.3, "dev_metrics": {"second_pass_share": 0.081}})
    assert "less than 30% of the way from a threshold to certainty" in line and "8.1% of the dev rows" in line
    assert _two_pass_lines({"cascade_margin": None}) == [] and _two_pass_lines({}) == []


def test_early_exit_line_names_each_layer_its_margin_and_the_dev_shares() -> None:
    def exit_at(layer: int, margin: float) -> EarlyExit:
        return EarlyExit(layer, MultiTaskHeads(), TemperatureScaler(), TemperatureScaler(kind="sigmoid"), margin)

    (line,) = _early_exit_lines([exit_at(6, 0.35)], {"dev_metrics": {"early_exit_share": 0.712}})
    assert "first 6 layers" in line and "at least 35% of the way from every threshold to certainty" in line
    assert "(71.2% of the dev rows in all)" in line and "margin was chosen" in line
    metrics = {"early_exit_share": 0.62, "early_exit_share_3": 0.41, "early_exit_share_6": 0.21}
    (line,) = _early_exit_lines([exit_at(3, 0.97), exit_at(6, 0.9)], {"dev_metrics": metrics})
    assert "Early exits" in line and "margins were chosen" in line
    assert "first 3 layers settle a text when its scores are at least 97%" in line and "(41.0% of the dev rows)" in line
    assert "; then heads on e5's first 6 layers" in line and "(21.0% of the dev rows)" in line
    assert _early_exit_lines([], {"dev_metrics": {"early_exit_share": 0.7}}) == []


def test_the_card_names_each_category_that_overrides_the_tier_head(guard: Guard) -> None:
    card = render_model_card(guard)
    at = guard.taxonomy["S11"].overrides_tier_at
    assert at is not None and f"S11 sets the label on its own from P(S11) >= {at:.2f}" in card
    assert "S9 sets the label on its own" not in card
