"""Operating points from dev data, and the policy file they are written to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slmguard import Guard, load_taxonomy
from slmguard.errors import InvalidInputError
from slmguard.eval.datasets import EvalRow
from slmguard.eval.tune import PRESETS, Rule, choose_threshold, tune, with_thresholds, write_policy
from slmguard.verdict import Action, Label, Verdict

Y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
P = np.array([0.9, 0.8, 0.6, 0.3, 0.5, 0.2, 0.1, 0.05])


def test_target_recall_takes_the_highest_threshold_that_reaches_it() -> None:
    assert choose_threshold(Y, P, Rule(target_recall=0.75)) == 0.6  # 3 of 4 positives; FPR 0
    assert choose_threshold(Y, P, Rule(target_recall=1.0)) == 0.3  # all positives; FPR 1/4


def test_max_fpr_takes_the_lowest_threshold_under_it() -> None:
    assert choose_threshold(Y, P, Rule(max_fpr=0.0)) == 0.51  # just above the negative at 0.5
    assert choose_threshold(Y, P, Rule(max_fpr=0.25)) == 0.21


def test_presets_order_from_strict_to_loose() -> None:
    t = {name: choose_threshold(Y, P, rule) for name, rule in PRESETS.items()}
    assert t["strict"] <= t["balanced"] <= t["loose"]


def _verdict(unsafe: float, s9: float) -> Verdict:
    label = Label.UNSAFE if unsafe >= 0.5 else Label.SAFE
    return Verdict(label, unsafe, 0.0, {"S9": s9}, (), Action.ALLOW, "en", "fake")


def test_tune_sets_tier_and_category_thresholds(tmp_path: Path) -> None:
    taxonomy = load_taxonomy()
    rng = np.random.default_rng(0)
    rows, verdicts = [], []
    for i in range(40):  # 20 unsafe S9 rows score 0.35..0.95; 20 safe rows 0.0..0.3
        unsafe = i < 20
        p = 0.35 + 0.03 * i if unsafe else 0.015 * (i - 20)
        rows.append(EvalRow(f"t{i}", "unsafe" if unsafe else "safe", ("S9",) if unsafe else ()))
        verdicts.append(_verdict(p, p + rng.uniform(-0.01, 0.01)))
    new, summary = tune(rows, verdicts, taxonomy, Rule(target_recall=1.0))
    assert new.unsafe_threshold == 0.35 and summary["tiers"]["unsafe"]["recall"] == 1.0
    assert summary["tiers"]["unsafe"]["fpr"] == 0.0
    assert 0.32 <= new["S9"].threshold <= 0.35 and summary["categories"]["S9"]["recall"] == 1.0
    assert new["S1"].threshold == taxonomy["S1"].threshold and "kept" in summary["categories"]["S1"]
    path = write_policy(new, tmp_path / "policy.yaml", summary, source="synthetic")
    text = path.read_text()
    assert text.startswith("# Tuned by `slmguard tune`") and "recall >= 1" in text
    loaded = load_taxonomy(path)
    assert loaded.unsafe_threshold == 0.35 and loaded["S9"].threshold == new["S9"].threshold
    guard = Guard.load(taxonomy=path)  # the file works as a policy for the shipped model
    assert guard.taxonomy.unsafe_threshold == 0.35


def test_a_tuned_threshold_over_a_categorys_override_lifts_the_override(tmp_path: Path) -> None:
    taxonomy = load_taxonomy()
    at = taxonomy["S11"].overrides_tier_at
    assert at is not None
    new = with_thresholds(taxonomy, unsafe=0.5, sensitive=0.5, categories={"S11": at + 0.1, "S9": 0.3})
    assert new["S11"].threshold == new["S11"].overrides_tier_at == pytest.approx(at + 0.1)
    assert new["S9"].overrides_tier_at is None
    path = write_policy(new, tmp_path / "policy.yaml", {"rule": "synthetic", "dev_rows": 0}, source="synthetic")
    assert load_taxonomy(path)["S11"].overrides_tier_at == pytest.approx(at + 0.1)  # the file stays valid


def test_rows_of_other_categories_count_against_a_category() -> None:
    rows = [EvalRow(f"u{i}", "unsafe", ("S9",)) for i in range(10)]
    rows += [EvalRow(f"o{i}", "unsafe", ("S1",)) for i in range(10)]  # another reason: S9 must not be flagged
    rows += [EvalRow(f"s{i}", "safe") for i in range(10)]
    rows += [EvalRow(f"n{i}", "unsafe") for i in range(5)]  # codes unknown: left out of the S9 figures
    verdicts = [_verdict(0.9, 0.8)] * 10 + [_verdict(0.9, 0.6)] * 10 + [_verdict(0.1, 0.05)] * 10
    verdicts += [_verdict(0.9, 0.9)] * 5
    _, summary = tune(rows, verdicts, load_taxonomy(), Rule(max_fpr=0.0))
    s9 = summary["categories"]["S9"]
    assert 0.6 < s9["threshold"] <= 0.8 and s9["recall"] == 1.0 and s9["fpr"] == 0.0
    _, summary = tune(rows, verdicts, load_taxonomy(), Rule(max_fpr=0.5))
    s9 = summary["categories"]["S9"]  # negatives: 10 S1 rows at 0.6 and 10 safe rows at 0.05
    assert s9["threshold"] == 0.06 and s9["fpr"] == 0.5


def test_tune_needs_both_classes() -> None:
    rows = [EvalRow("a", "safe"), EvalRow("b", "safe")]
    with pytest.raises(InvalidInputError, match="both 'unsafe' and 'safe'"):
        tune(rows, [_verdict(0.1, 0.1), _verdict(0.2, 0.1)], load_taxonomy(), PRESETS["balanced"])
