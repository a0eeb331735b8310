"""Score evaluation sets with one or more guards and compute every figure the reports show.

The result is one plain JSON-ready dict: per set and scorer, the metrics at the operating
point overall and per language, per-category figures, the 3-way confusion matrix, calibration
(ECE with equal-mass bins, Brier, reliability bins), the PR curve, speed and the worst errors.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import slmguard
from slmguard.eval.compare.base import Prediction, Scorer, Unavailable
from slmguard.eval.datasets import TIERS, EvalSet
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

WORST = 10
"""False positives and false negatives listed per set and scorer."""

ProgressFn = Callable[[str, str, int, int], None]


@dataclass
class _Pool:
    """Rows of every labelled unsafe-vs-rest prompt set, pooled per scorer for the 'all sets' row."""

    gold: list[bool] = field(default_factory=list)
    pred: list[bool] = field(default_factory=list)
    score: list[float | None] = field(default_factory=list)
    lang: list[str] = field(default_factory=list)


def binary_block(gold: np.ndarray, pred: np.ndarray, score: np.ndarray | None) -> dict[str, float]:
    """Precision, recall, F1, FPR at the operating point, plus AUPRC, ECE and Brier when there are scores."""
    out = binary_metrics(gold, pred)
    out["positives"] = float(np.sum(gold))
    has_both = 0 < gold.sum() < len(gold)
    out["auprc"] = average_precision(gold, score) if score is not None and has_both else float("nan")
    out["ece"] = expected_calibration_error(gold, score) if score is not None else float("nan")
    out["brier"] = brier_score(gold, score) if score is not None else float("nan")
    return out


def _predict(eval_set: EvalSet, scorer: Scorer, batch_size: int, progress: ProgressFn | None) -> tuple[
    list[Prediction], list[float], list[int]
]:  # fmt: skip
    preds: list[Prediction] = []
    seconds: list[float] = []
    sizes: list[int] = []
    rows = eval_set.rows
    for i in range(0, len(rows), batch_size):
        batch = rows[i : i + batch_size]
        start = time.perf_counter()
        if eval_set.task == "response":
            out = scorer.score_responses([r.text for r in batch], [r.response or "" for r in batch])
        else:
            out = scorer.score([r.text for r in batch])
        seconds.append(time.perf_counter() - start)
        sizes.append(len(batch))
        if len(out) != len(batch):
            raise Unavailable(f"{scorer.name} returned {len(out)} predictions for {len(batch)} rows")
        preds += out
        if progress:
            progress(eval_set.name, scorer.name, len(preds), len(rows))
    return preds, seconds, sizes


def evaluate_set(
    eval_set: EvalSet, scorer: Scorer, *, batch_size: int = 64, progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Every figure for one set and one scorer; `available: False` with the reason when it cannot run."""
    return _evaluate(eval_set, scorer, batch_size, progress)[0]


def _evaluate(
    eval_set: EvalSet, scorer: Scorer, batch_size: int, progress: ProgressFn | None
) -> tuple[dict[str, Any], list[Prediction]]:
    try:
        preds, seconds, sizes = _predict(eval_set, scorer, batch_size, progress)
    except Unavailable as exc:
        return {"available": False, "reason": str(exc)}, []
    return _summarize(eval_set, preds, seconds, sizes, batch_size), preds


def _summarize(
    eval_set: EvalSet, preds: list[Prediction], seconds: list[float], sizes: list[int], batch_size: int
) -> dict[str, Any]:
    total = sum(seconds)
    out: dict[str, Any] = {
        "available": True,
        "speed": {
            "texts_per_second": len(preds) / total if total else float("nan"),
            "batch_size": batch_size,
            "ms_per_text": {
                k: v * 1000 for k, v in percentiles([s / n for s, n in zip(seconds, sizes, strict=True)]).items()
            },
            "seconds": total,
        },
        "predicted": {t: sum(p.label == t for p in preds) for t in TIERS},
    }
    if not eval_set.labelled:
        return out
    rows = eval_set.rows
    pos = eval_set.positive
    gold = np.array([r.label == pos for r in rows], bool)
    pred = np.array([p.label == pos for p in preds], bool)
    score = _scores(preds, pos)
    out["overall"] = binary_block(gold, pred, score)
    out["headline"] = out["overall"].get(eval_set.metric, float("nan"))
    langs = sorted({r.lang for r in rows})
    out["per_lang"] = {}
    for lang in langs:
        idx = np.array([r.lang == lang for r in rows])
        out["per_lang"][lang] = binary_block(gold[idx], pred[idx], score[idx] if score is not None else None)
    out["per_category"] = _per_category(rows, preds)
    out["confusion"] = {
        "labels": list(TIERS),
        "counts": confusion_matrix([r.label or "safe" for r in rows], [p.label for p in preds], labels=TIERS),
    }
    if score is not None:
        out["reliability"] = reliability_bins(gold, score)
        out["pr_curve"] = pr_curve(gold, score)
    out["errors"] = _worst(eval_set, preds, gold, pred, score)
    return out


def _scores(preds: list[Prediction], positive: str) -> np.ndarray | None:
    vals = [p.sensitive_score if positive == "sensitive" else p.unsafe_score for p in preds]
    if any(v is None for v in vals):
        return None
    return np.array(vals, float)


def _per_category(rows: Sequence[Any], preds: list[Prediction]) -> dict[str, dict[str, float]]:
    """Per taxonomy code in the gold rows: precision, recall and F1 of the scorer's flagged codes.

    Empty for scorers that flag no codes at all (their per-category recall would say nothing).
    """
    if not any(p.flagged for p in preds):
        return {}
    gold_codes = [set(r.categories) for r in rows]
    out = {}
    for code in sorted(set().union(*gold_codes)):
        y = np.array([code in g for g in gold_codes])
        p = np.array([code in pr.flagged for pr in preds])
        m = binary_metrics(y, p)
        out[code] = {"precision": m["precision"], "recall": m["recall"], "f1": m["f1"], "support": int(y.sum())}
    return out


def _worst(
    eval_set: EvalSet, preds: list[Prediction], gold: np.ndarray, pred: np.ndarray, score: np.ndarray | None
) -> dict[str, list[dict[str, Any]]]:
    """The most confident false positives and the least suspected false negatives."""
    s = score if score is not None else pred.astype(float)

    def row(i: int) -> dict[str, Any]:
        r = eval_set.rows[i]
        text = r.text if r.response is None else f"{r.text}\n→ {r.response}"
        return {"id": r.id, "text": text[:400], "lang": r.lang, "gold": r.label, "predicted": preds[i].label,
                "score": float(s[i])}  # fmt: skip

    fp = [int(i) for i in np.nonzero(~gold & pred)[0]]
    fn = [int(i) for i in np.nonzero(gold & ~pred)[0]]
    return {
        "false_positives": [row(i) for i in sorted(fp, key=lambda i: -s[i])[:WORST]],
        "false_negatives": [row(i) for i in sorted(fn, key=lambda i: s[i])[:WORST]],
    }


def run(
    sets: Sequence[EvalSet],
    scorers: Sequence[Scorer],
    *,
    batch_size: int = 64,
    progress: ProgressFn | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every set through every scorer; a scorer that cannot run is marked unavailable and the run goes on."""
    pools = {s.name: _Pool() for s in scorers}
    report: dict[str, Any] = {
        "slmguard_version": slmguard.__version__,
        "date": time.strftime("%Y-%m-%d"),
        **(meta or {}),
        "scorers": [{"name": s.name, "kind": s.kind} for s in scorers],
        "sets": [],
    }
    for eval_set in sets:
        entry: dict[str, Any] = {
            "name": eval_set.name, "source": eval_set.source, "task": eval_set.task, "positive": eval_set.positive,
            "metric": eval_set.metric, "target": eval_set.target, "note": eval_set.note, "labelled": eval_set.labelled,
            "n": len(eval_set.rows), "positives": sum(r.label == eval_set.positive for r in eval_set.rows),
            "langs": sorted({r.lang for r in eval_set.rows}), "results": {},
        }  # fmt: skip
        for scorer in scorers:
            res, preds = _evaluate(eval_set, scorer, batch_size, progress)
            entry["results"][scorer.name] = res
            if "overall" in res and eval_set.task == "prompt" and eval_set.positive == "unsafe":
                pool = pools[scorer.name]
                pool.gold += [r.label == "unsafe" for r in eval_set.rows]
                pool.pred += [p.label == "unsafe" for p in preds]
                pool.score += [p.unsafe_score for p in preds]
                pool.lang += [r.lang for r in eval_set.rows]
        report["sets"].append(entry)
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    filled = {name: pool for name, pool in pools.items() if pool.gold}
    report["pooled"] = {name: _pooled(pool) for name, pool in filled.items()}
    report["pooled_by_lang"] = {
        name: {lang: _pooled(pool, lang) for lang in sorted(set(pool.lang))} for name, pool in filled.items()
    }
    return report


def _pooled(pool: _Pool, lang: str | None = None) -> dict[str, float]:
    """Metrics over the pooled rows (of one language when `lang` is given)."""
    keep = np.array([lang is None or x == lang for x in pool.lang])
    gold, pred = np.array(pool.gold)[keep], np.array(pool.pred)[keep]
    score = None if any(s is None for s in pool.score) else np.array(pool.score, float)[keep]
    return binary_block(gold, pred, score)
