"""Would a cascade across the two shipped models keep the default's accuracy? Dev data only.

Run: python benchmarks/cross_cascade_dev.py
The fast model reads every dev row; the rows whose scores lie nearest a threshold (its
`decision_margin`, the rule of the cascades inside each model) take the default model's verdict
instead. For each share handed on: unsafe F1 and FPR, overall and per language. Writes
benchmarks/results/cross_cascade_dev.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from slmguard import Guard, Verdict
from slmguard.data.corpus import build_corpus
from slmguard.eval.metrics import binary_metrics
from slmguard.guard import fast_model_path
from slmguard.heads.cascade import decision_margin

OUT = Path(__file__).parent / "results" / "cross_cascade_dev.json"
SHARES = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0)


def margins(guard: Guard, verdicts: list[Verdict]) -> np.ndarray:
    """How far each verdict's calibrated scores lie from the thresholds that set its label."""
    tier = np.array([[1.0 - v.unsafe_score - v.sensitive_score, v.sensitive_score, v.unsafe_score] for v in verdicts])
    codes = guard.parts.category_codes
    cats = np.array([[v.categories[c] for c in codes] for v in verdicts])
    return decision_margin(tier, guard.taxonomy, cats=cats, codes=codes)


def f1_fpr(pred: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    m = binary_metrics(gold, pred)
    return {"f1": m["f1"], "fpr": m["fpr"]}


def main() -> None:
    dev = build_corpus().dev
    texts = [e.text for e in dev]
    gold = np.array([e.label == "unsafe" for e in dev])
    langs = np.array([e.lang for e in dev])
    fast, default = Guard.load(fast_model_path()), Guard.load()
    fast_verdicts = fast.check_batch(texts)
    fast_unsafe = np.array([v.label == "unsafe" for v in fast_verdicts])
    default_unsafe = np.array([v.label == "unsafe" for v in default.check_batch(texts)])
    order = np.argsort(margins(fast, fast_verdicts), kind="stable")  # nearest a threshold first
    rows = []
    for share in SHARES:
        handed_on = np.zeros(len(texts), bool)
        handed_on[order[: round(share * len(texts))]] = True
        pred = np.where(handed_on, default_unsafe, fast_unsafe)
        row = {"share_to_default": share, "all": f1_fpr(pred, gold)}
        row |= {lang: f1_fpr(pred[langs == lang], gold[langs == lang]) for lang in ("en", "ko")}
        rows.append(row)
        print(f"share {share:.1f}: F1 {row['all']['f1']:.3f} (en {row['en']['f1']:.3f}, ko {row['ko']['f1']:.3f}), "
              f"FPR {row['all']['fpr']:.3f}")  # fmt: skip
    OUT.write_text(json.dumps({"models": [fast.model_name, default.model_name], "dev_rows": len(texts),
                               "rows": rows}, indent=2) + "\n")  # fmt: skip
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
