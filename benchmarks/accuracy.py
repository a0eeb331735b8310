"""Accuracy of a model on every held-out test benchmark (English and Korean).

Run: python benchmarks/accuracy.py [--model DIR] [--only NAME ...]
Writes benchmarks/results/accuracy.json; `python benchmarks/write_benchmarks_md.py` renders it.
Test splits are read for evaluation only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from slmguard import Guard
from slmguard.data.manifest import Manifest
from slmguard.embedding_cache import cached, flush
from slmguard.eval.benchmarks import BENCHMARKS
from slmguard.eval.harness import evaluate

OUT = Path(__file__).parent / "results" / "accuracy.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="benchmark names (default: all)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-cache", action="store_true", help="do not use the embedding cache")
    args = parser.parse_args()
    guard = Guard.load(args.model)
    if not args.no_cache:  # test texts are embedded once, then reused by every model with this encoder
        guard = Guard(guard.parts, cached(guard.encoder))
    manifest = Manifest()
    names = args.only or list(BENCHMARKS)
    results = {"model": guard.model_name, "date": time.strftime("%Y-%m-%d"), "benchmarks": {}}
    for name in names:
        start = time.perf_counter()
        res = evaluate(guard, BENCHMARKS[name], manifest)
        results["benchmarks"][name] = res
        flush(guard.encoder)
        print(
            f"{name:32s} n={int(res['n']):5d} {res['metric']}={res['headline']:.3f} "
            f"f1={res['f1']:.3f} recall={res['recall']:.3f} fpr={res['fpr']:.3f} ({time.perf_counter() - start:.0f}s)",
            file=sys.stderr,
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=float) + "\n")


if __name__ == "__main__":
    main()
