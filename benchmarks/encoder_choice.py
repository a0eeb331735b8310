"""Compare encoders on the dev split: same corpus, same heads, same seed; only the encoder differs.

Run: python benchmarks/encoder_choice.py [--encoders minilm e5-small e5-small+minilm]
Writes benchmarks/results/encoder_choice.json. Never touches a test split.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from slmguard.data.corpus import build_corpus
from slmguard.embedding_cache import cached, flush
from slmguard.encoders import get_encoder
from slmguard.eval.metrics import average_precision, binary_metrics, expected_calibration_error
from slmguard.heads import MultiTaskHeads, TemperatureScaler
from slmguard.taxonomy import load_taxonomy
from slmguard.train import PROJECT_SOURCES, PROJECT_WEIGHT, embed, targets

OUT = Path(__file__).parent / "results" / "encoder_choice.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--encoders", nargs="+", default=["minilm", "e5-small", "e5-small+minilm"])
    args = parser.parse_args()
    corpus = build_corpus()
    codes = load_taxonomy().codes
    y_tr, C_tr = targets(corpus.train, codes)
    y_dev, _ = targets(corpus.dev, codes)
    w = np.array([PROJECT_WEIGHT if e.source in PROJECT_SOURCES else 1.0 for e in corpus.train])
    groups = {
        "all": np.ones(len(corpus.dev), bool),
        "en": np.array([e.lang == "en" for e in corpus.dev]),
        "ko": np.array([e.lang == "ko" for e in corpus.dev]),
        "project_contrast": np.array([e.source.startswith("contrast") for e in corpus.dev]),
        "project_harmful_ko": np.array(
            [e.source in ("harmful_requests", "obfuscated") and e.lang == "ko" for e in corpus.dev]
        ),
    }
    results = {}
    for name in args.encoders:
        start = time.perf_counter()
        cache = cached(get_encoder(name))
        X_tr, X_dev = embed(corpus.train, cache), embed(corpus.dev, cache)
        flush(cache)
        heads = MultiTaskHeads(seed=0).fit(X_tr, y_tr, C_tr, sample_weight=w)
        tier_logits, _ = heads.predict_logits(X_dev)
        p = TemperatureScaler().fit(tier_logits, y_dev).transform(tier_logits)
        unsafe = (y_dev == 2).astype(int)
        row = {}
        for g, m in groups.items():
            metrics = binary_metrics(unsafe[m], p[m, 2] >= 0.5)
            row[g] = {
                "f1": metrics["f1"], "recall": metrics["recall"], "fpr": metrics["fpr"],
                "auprc": average_precision(unsafe[m], p[m, 2]), "n": int(m.sum()),
            }  # fmt: skip
        row["tier_accuracy"] = float((p.argmax(1) == y_dev).mean())
        row["ece_unsafe"] = expected_calibration_error(unsafe, p[:, 2])
        row["seconds"] = time.perf_counter() - start
        results[name] = row
        print(name, json.dumps(row, indent=1))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
