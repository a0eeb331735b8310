"""Run a Guard over registered benchmarks and compute flat metric dicts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from slmguard.data.manifest import Manifest
from slmguard.eval.benchmarks import Benchmark
from slmguard.eval.metrics import average_precision, binary_metrics, expected_calibration_error
from slmguard.guard import Guard
from slmguard.verdict import Label

BATCH = 256


def evaluate(
    guard: Guard,
    benchmark: Benchmark,
    manifest: Manifest,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Metrics of `guard` on one benchmark: binary unsafe-vs-rest at the policy thresholds.

    For SQuARe (sensitive questions) the positive prediction is the `sensitive` label, and
    `blocked_share` says how many sensitive questions were wrongly called unsafe.
    """
    rows = list(benchmark.rows(manifest))
    texts = [r[0] for r in rows]
    gold = np.array([r[1] for r in rows], int)
    verdicts = []
    start = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        verdicts += guard.check_batch(texts[i : i + BATCH])
        if progress:
            progress(min(i + BATCH, len(texts)), len(texts))
    seconds = time.perf_counter() - start
    sensitive_task = benchmark.dataset == "square"
    if sensitive_task:
        pred = np.array([v.label == Label.SENSITIVE for v in verdicts], int)
        score = np.array([v.sensitive_score for v in verdicts])
    else:
        pred = np.array([v.label == Label.UNSAFE for v in verdicts], int)
        score = np.array([v.unsafe_score for v in verdicts])
    out: dict[str, Any] = {"benchmark": benchmark.name, "dataset": benchmark.dataset, "metric": benchmark.metric}
    out.update(binary_metrics(gold, pred))
    out["auprc"] = average_precision(gold, score) if 0 < gold.sum() < len(gold) else float("nan")
    out["ece"] = expected_calibration_error(gold, score)
    out["positives"] = int(gold.sum())
    out["headline"] = out[benchmark.metric]
    out["target"] = benchmark.target
    out["texts_per_second"] = len(texts) / seconds if seconds else float("nan")
    if sensitive_task:
        out["blocked_share"] = float(np.mean([v.label == Label.UNSAFE for v in verdicts]))
    out["per_category"] = _per_category(rows, verdicts)
    return out


def _per_category(
    rows: list[tuple[str, int, tuple[str, ...], str]], verdicts: list[Any]
) -> dict[str, dict[str, float]]:
    """Per taxonomy code: precision and recall of `flagged` against the mapped source categories."""
    gold_codes = [set(r[2]) for r in rows]
    codes = sorted(set().union(*gold_codes)) if gold_codes else []
    out = {}
    for code in codes:
        y = np.array([code in g for g in gold_codes])
        p = np.array([code in v.flagged for v in verdicts])
        m = binary_metrics(y, p)
        out[code] = {"precision": m["precision"], "recall": m["recall"], "support": int(y.sum())}
    return out
