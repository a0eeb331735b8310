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


def brier_score(y_true: np.ndarray, y_prob: np.ndarray) -> float:
    """Mean squared error of the probability against the 0/1 outcome (lower is better)."""
    y_true = np.asarray(y_true, float)
    y_prob = np.asarray(y_prob, float)
    return float(np.mean((y_prob - y_true) ** 2)) if len(y_true) else float("nan")


def reliability_bins(y_true: np.ndarray, y_prob: np.ndarray, *, n_bins: int = 15) -> list[dict[str, float]]:
    """The equal-mass bins behind the ECE: mean confidence, observed positive rate and size of each."""
    y_true = np.asarray(y_true, float)
    y_prob = np.asarray(y_prob, float)
    if len(y_true) == 0:
        return []
    order = np.argsort(y_prob, kind="stable")
    return [
        {"confidence": float(y_prob[idx].mean()), "observed": float(y_true[idx].mean()), "n": len(idx)}
        for idx in np.array_split(order, min(n_bins, len(order)))
        if len(idx)
    ]


def pr_curve(y_true: np.ndarray, y_score: np.ndarray, *, max_points: int = 200) -> dict[str, list[float]]:
    """Precision and recall at every distinct score threshold (thinned to `max_points` for plotting)."""
    y_true = np.asarray(y_true).astype(bool)
    y_score = np.asarray(y_score, float)
    if y_true.sum() == 0:
        return {"precision": [], "recall": [], "threshold": []}
    order = np.argsort(-y_score, kind="stable")
    scores, hits = y_score[order], y_true[order]
    last = np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1]  # last index of each distinct score
    tp = np.cumsum(hits)[last]
    precision = tp / (last + 1)
    recall = tp / y_true.sum()
    keep = np.unique(np.linspace(0, len(last) - 1, min(max_points, len(last))).astype(int))
    return {
        "precision": [float(x) for x in precision[keep]],
        "recall": [float(x) for x in recall[keep]],
        "threshold": [float(x) for x in scores[last][keep]],
    }


def confusion_matrix(y_true: list[str], y_pred: list[str], *, labels: tuple[str, ...]) -> list[list[int]]:
    """Counts[i][j] of rows with gold `labels[i]` predicted as `labels[j]`."""
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred, strict=True):
        counts[index[t]][index[p]] += 1
    return counts


def percentiles(values: list[float], *, qs: tuple[int, ...] = (50, 90, 99)) -> dict[str, float]:
    """`p50`, `p90`, `p99` of `values` (NaN when empty)."""
    arr = np.asarray(values, float)
    return {f"p{q}": float(np.percentile(arr, q)) if len(arr) else float("nan") for q in qs}
