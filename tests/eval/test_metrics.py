"""Metric functions against cases computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from slmguard.eval.metrics import (
    average_precision,
    binary_metrics,
    brier_score,
    confusion_matrix,
    expected_calibration_error,
    percentiles,
    pr_curve,
    reliability_bins,
)


def test_binary_metrics_by_hand() -> None:
    # tp=2 (rows 0, 4), fp=1 (row 2), fn=1 (row 1), tn=1 (row 3)
    m = binary_metrics(np.array([1, 1, 0, 0, 1]), np.array([1, 0, 1, 0, 1]))
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["fpr"] == pytest.approx(1 / 2)
    assert m["n"] == 5


def test_binary_metrics_undefined_are_nan() -> None:
    m = binary_metrics(np.array([1, 1]), np.array([0, 0]))  # no negatives, no predicted positives
    assert math.isnan(m["fpr"]) and math.isnan(m["precision"]) and m["recall"] == 0.0


def test_ece_equal_mass_known_example() -> None:
    # two equal-mass bins: {0.1, 0.2} -> confidence 0.15, observed 0; {0.3, 0.4} -> 0.35, observed 1
    # ECE = (2 * 0.15 + 2 * 0.65) / 4 = 0.4
    ece = expected_calibration_error(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.4]), n_bins=2)
    assert ece == pytest.approx(0.4)


def test_ece_zero_when_each_bin_is_calibrated() -> None:
    # bins {0.5, 0.5} (observed 0.5) and {1.0, 1.0} (observed 1.0): calibrated, ECE 0
    y, p = np.array([0, 1, 1, 1]), np.array([0.5, 0.5, 1.0, 1.0])
    assert expected_calibration_error(y, p, n_bins=2) == pytest.approx(0.0)
    # one bin over everything: |0.75 - 0.75| = 0 as well; four bins: (0.5 + 0.5 + 0 + 0) / 4 = 0.25
    assert expected_calibration_error(y, p, n_bins=4) == pytest.approx(0.25)


def test_reliability_bins_match_ece() -> None:
    y, p = np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.4])
    bins = reliability_bins(y, p, n_bins=2)
    assert [b["n"] for b in bins] == [2, 2]
    assert bins[0]["confidence"] == pytest.approx(0.15) and bins[0]["observed"] == 0.0
    assert bins[1]["confidence"] == pytest.approx(0.35) and bins[1]["observed"] == 1.0
    ece = sum(b["n"] * abs(b["observed"] - b["confidence"]) for b in bins) / 4
    assert ece == pytest.approx(expected_calibration_error(y, p, n_bins=2))


def test_brier_by_hand() -> None:
    # (0.1^2 + 0.2^2 + 0.7^2 + 0.6^2) / 4 = (0.01 + 0.04 + 0.49 + 0.36) / 4 = 0.225
    assert brier_score(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.4])) == pytest.approx(0.225)


def test_average_precision_by_hand() -> None:
    # ranked: hit, miss, hit, miss -> precision at the hits 1 and 2/3 -> AP = 5/6
    ap = average_precision(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.6]))
    assert ap == pytest.approx(5 / 6)


def test_pr_curve_groups_tied_scores() -> None:
    curve = pr_curve(np.array([1, 0, 1]), np.array([0.5, 0.5, 0.1]))
    assert curve["threshold"] == [0.5, 0.1]
    assert curve["precision"] == pytest.approx([0.5, 2 / 3])
    assert curve["recall"] == pytest.approx([0.5, 1.0])


def test_confusion_matrix_rows_are_gold() -> None:
    counts = confusion_matrix(
        ["safe", "safe", "unsafe", "sensitive"], ["safe", "unsafe", "unsafe", "safe"],
        labels=("safe", "sensitive", "unsafe"),
    )  # fmt: skip
    assert counts == [[1, 0, 1], [1, 0, 0], [0, 0, 1]]


def test_percentiles() -> None:
    assert percentiles([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx({"p50": 3.0, "p90": 4.6, "p99": 4.96})
    assert math.isnan(percentiles([])["p50"])
