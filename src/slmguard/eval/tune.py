"""Choose operating points on dev data and write them into a policy (taxonomy) file.

Thresholds come from dev rows only: the project's dev corpus, a dataset's dev splits, or the
user's own file. A test split is refused. Each tier threshold and each category threshold with
enough dev examples gets its own operating point under one rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from slmguard.errors import InvalidInputError
from slmguard.eval.datasets import EvalRow
from slmguard.eval.metrics import binary_metrics
from slmguard.heads.thresholds import tune_threshold
from slmguard.taxonomy import Category, Taxonomy, load_taxonomy
from slmguard.verdict import Verdict

GRID = np.round(np.arange(0.02, 0.99, 0.01), 2)
MIN_POSITIVES = 10
"""A category needs this many positive dev rows (and as many negatives) to get its own threshold."""


@dataclass(frozen=True, slots=True)
class Rule:
    """How an operating point is chosen: one of the three fields is set."""

    target_recall: float | None = None  # the highest threshold that still reaches this recall (lowest FPR)
    max_fpr: float | None = None  # the lowest threshold whose FPR stays under this (highest recall)
    balanced_fpr: float | None = None  # best F1 among thresholds with FPR at most this (heads.tune_threshold)

    def describe(self) -> str:
        if self.target_recall is not None:
            return f"recall >= {self.target_recall:g} at the lowest FPR"
        if self.max_fpr is not None:
            return f"highest recall with FPR <= {self.max_fpr:g}"
        return f"best F1 with FPR <= {self.balanced_fpr:g}"


PRESETS: dict[str, Rule] = {
    "strict": Rule(target_recall=0.95),
    "balanced": Rule(balanced_fpr=0.05),
    "loose": Rule(max_fpr=0.01),
}


def choose_threshold(y_true: np.ndarray, y_prob: np.ndarray, rule: Rule) -> float:
    """The operating point under `rule` on a grid of thresholds 0.02..0.98.

    When no threshold meets a recall target, the lowest threshold is returned (the closest
    one can get); when none meets an FPR bound, the highest.
    """
    y = np.asarray(y_true).astype(bool)
    p = np.asarray(y_prob, float)
    if rule.balanced_fpr is not None:
        return tune_threshold(y, p, max_fpr=rule.balanced_fpr)
    recall = np.array([np.sum((p >= t) & y) / max(y.sum(), 1) for t in GRID])
    fpr = np.array([np.sum((p >= t) & ~y) / max((~y).sum(), 1) for t in GRID])
    if rule.target_recall is not None:
        ok = np.nonzero(recall >= rule.target_recall)[0]
        return float(GRID[ok[-1]]) if len(ok) else float(GRID[0])
    ok = np.nonzero(fpr <= rule.max_fpr)[0]
    return float(GRID[ok[0]]) if len(ok) else float(GRID[-1])


def _at(y: np.ndarray, p: np.ndarray, t: float) -> dict[str, float]:
    m = binary_metrics(y, p >= t)
    return {"threshold": t, "recall": m["recall"], "fpr": m["fpr"], "f1": m["f1"], "positives": int(y.sum())}


def tune(
    rows: Sequence[EvalRow], verdicts: Sequence[Verdict], taxonomy: Taxonomy, rule: Rule
) -> tuple[Taxonomy, dict[str, Any]]:
    """New tier and category thresholds from dev rows and the guard's verdicts on them.

    Returns the taxonomy with the new thresholds (its file text rewritten) and a summary of
    every threshold: old value, new value and dev recall/FPR/F1 at the new one.
    """
    labels = np.array([r.label for r in rows])
    if not np.any(labels == "unsafe") or not np.any(labels == "safe"):
        raise InvalidInputError("Tuning needs dev rows labelled both 'unsafe' and 'safe'.")
    unsafe_p = np.array([v.unsafe_score for v in verdicts])
    y_unsafe = labels == "unsafe"
    summary: dict[str, Any] = {"rule": rule.describe(), "dev_rows": len(rows), "tiers": {}, "categories": {}}
    t_unsafe = choose_threshold(y_unsafe, unsafe_p, rule)
    summary["tiers"]["unsafe"] = {"old": taxonomy.unsafe_threshold, **_at(y_unsafe, unsafe_p, t_unsafe)}
    t_sensitive = taxonomy.sensitive_threshold
    sens_rows = labels != "unsafe"  # sensitive vs safe, among rows the unsafe tier does not take
    y_sens = labels[sens_rows] == "sensitive"
    if y_sens.sum() >= MIN_POSITIVES and (~y_sens).sum() >= MIN_POSITIVES:
        sens_p = np.array([v.sensitive_score for v in verdicts])[sens_rows]
        t_sensitive = choose_threshold(y_sens, sens_p, rule)
        summary["tiers"]["sensitive"] = {"old": taxonomy.sensitive_threshold, **_at(y_sens, sens_p, t_sensitive)}
    new_cat: dict[str, float] = {}
    for cat in taxonomy.categories:
        # positives: rows with this code; negatives: safe rows and rows with other known codes (a wrong reason
        # given for a block counts against a category too); rows whose codes are unknown are left out
        y = np.array([cat.code in r.categories for r in rows])
        keep = (labels == "safe") | np.array([bool(r.categories) for r in rows])
        if y.sum() < MIN_POSITIVES or (~y[keep]).sum() < MIN_POSITIVES:
            summary["categories"][cat.code] = {"old": cat.threshold, "kept": f"{int(y.sum())} positive dev rows"}
            continue
        p = np.array([v.categories.get(cat.code, 0.0) for v in verdicts])
        t = choose_threshold(y[keep], p[keep], rule)
        new_cat[cat.code] = t
        summary["categories"][cat.code] = {"old": cat.threshold, **_at(y[keep], p[keep], t)}
    return with_thresholds(taxonomy, unsafe=t_unsafe, sensitive=t_sensitive, categories=new_cat), summary


def with_thresholds(taxonomy: Taxonomy, *, unsafe: float, sensitive: float, categories: dict[str, float]) -> Taxonomy:
    """The taxonomy with new tier thresholds (through `with_policy`) and new category thresholds.

    A category's `overrides_tier_at` is raised to its new threshold where it would fall below it."""
    policy = taxonomy.with_policy(unsafe_threshold=unsafe, sensitive_threshold=sensitive)

    def updated(c: Category) -> Category:
        if c.code not in categories:
            return c
        t = categories[c.code]
        over = c.overrides_tier_at
        return replace(c, threshold=t, overrides_tier_at=None if over is None else max(over, t))

    cats = tuple(updated(c) for c in policy.categories)
    raw = yaml.safe_load(policy.source_text)
    for cat, new in zip(raw["categories"], cats, strict=True):
        cat["threshold"] = new.threshold
        if new.overrides_tier_at is not None:
            cat["overrides_tier_at"] = new.overrides_tier_at
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=100)
    return replace(policy, categories=cats, source_text=text)


def corpus_dev_rows(*, progress: Callable[[str], None] = lambda _msg: None) -> list[EvalRow]:
    """The dev half of the training corpus (dev-role splits and the project's held-out share), never test."""
    from slmguard.data.corpus import build_corpus

    corpus = build_corpus(progress=progress)
    return [EvalRow(ex.text, ex.label, tuple(ex.categories or ()), ex.lang, id=ex.id) for ex in corpus.dev]


def write_policy(taxonomy: Taxonomy, path: str | Path, summary: dict[str, Any], *, source: str) -> Path:
    """Write the policy file with a header saying how it was tuned, and check that it loads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = [
        f"# Tuned by `slmguard tune` on {time.strftime('%Y-%m-%d')}: {summary['rule']}.",
        f"# Dev data: {source} ({summary['dev_rows']} rows). Load with Guard.load(taxonomy=...) "
        "or `slmguard check --taxonomy`.",
    ]
    path.write_text("\n".join(header) + "\n" + taxonomy.source_text, encoding="utf-8")
    load_taxonomy(path)  # a file that would not load is an error here, not at the user's next start
    return path
