from __future__ import annotations

from slmguard.model_card import _head_seeds, _two_pass_lines


def test_head_seeds_say_averaged_only_when_there_are_several() -> None:
    assert _head_seeds({"head_seeds": [1, 2, 3]}) == "head seeds 1, 2, 3 (logits averaged)"
    assert _head_seeds({"head_seeds": [0]}) == "head seed 0"
    assert _head_seeds({"head_seed": 2}) == "head seed 2"  # a model trained before ensembles


def test_two_pass_line_names_the_margin_and_its_dev_share_only_when_there_is_one() -> None:
    (line,) = _two_pass_lines({"cascade_margin": 0.3, "dev_metrics": {"second_pass_share": 0.081}})
    assert "within 0.3 of a threshold" in line and "8.1% of the dev rows" in line
    assert _two_pass_lines({"cascade_margin": None}) == [] and _two_pass_lines({}) == []
