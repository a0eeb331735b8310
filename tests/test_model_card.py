from __future__ import annotations

from slmguard.model_card import _head_seeds


def test_head_seeds_say_averaged_only_when_there_are_several() -> None:
    assert _head_seeds({"head_seeds": [1, 2, 3]}) == "head seeds 1, 2, 3 (logits averaged)"
    assert _head_seeds({"head_seeds": [0]}) == "head seed 0"
    assert _head_seeds({"head_seed": 2}) == "head seed 2"  # a model trained before ensembles
