"""Pure metric functions: flat dicts of named floats, arguments after the first two keyword-only."""

from __future__ import annotations

import numpy as np


def binary_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1 and false-positive rate for 0/1 labels (NaN where undefined)."""
    y_true = np.asarray(y_true).astype(bool)
    y_pred = np.asarray(y_pred).astype(bool)
    tp = float(np.sum(y_true & y_pred))
    fp = float(np.sum(~y_true & y_pred))
    fn = float(np.sum(y_true & ~y_pred))
    tn = float(np.sum(~y_true & ~y_pred))
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
    fpr = fp / (fp + tn) if fp + tn else float("nan")
    return {"precision": precision, "recall": recall, "f1": f1, "fpr": fpr, "n": float(len(y_true))}


def expected_calibration_error(y_true: np.ndarray, y_prob: np.ndarray, *, n_bins: int = 15) -> float:
    """ECE with equal-mass bins: mean |accuracy - confidence| weighted by bin size."""
    y_true = np.asarray(y_true, float)
    y_prob = np.asarray(y_prob, float)
    if len(y_true) == 0:
        return float("nan")
    order = np.argsort(y_prob, kind="stable")
    ece = 0.0
    for idx in np.array_split(order, min(n_bins, len(order))):
        if len(idx):
            ece += len(idx) * abs(y_true[idx].mean() - y_prob[idx].mean())
    return float(ece / len(y_true))


def average_precision(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under the precision-recall curve (step-wise average precision)."""
    y_true = np.asarray(y_true).astype(bool)
    if y_true.sum() == 0:
        return float("nan")
    order = np.argsort(-np.asarray(y_score, float), kind="stable")
    hits = y_true[order]
    precision_at_k = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision_at_k[hits].sum() / hits.sum())
