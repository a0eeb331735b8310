"""Accuracy on every held-out test benchmark, with the comparison guards on the same rows.

A thin caller of the eval harness (`slmguard eval all` does the same work). Writes numbers only
(no dataset text) to benchmarks/results/<out>.json, and the full report with charts and the
worst errors to out/<out>/report.html (not committed: it quotes test rows).

Run: python benchmarks/accuracy.py [--model DIR] [--only NAME ...] [--compare SPEC ...] [--limit N] [--out NAME]
     [--one-pass]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from slmguard import Guard
from slmguard.embedding_cache import cached, flush
from slmguard.eval.compare import GuardScorer, make_scorer
from slmguard.eval.datasets import load_sets
from slmguard.eval.report import write_reports
from slmguard.eval.runner import run

HERE = Path(__file__).parent
KEEP = ("available", "reason", "headline", "overall", "per_lang", "per_category", "confusion", "speed", "predicted")


def compact(report: dict[str, Any]) -> dict[str, Any]:
    """The report without dataset text or curves; `benchmarks` holds the flat figures of our guard per set."""
    ours = report["model"]
    out = {k: v for k, v in report.items() if k != "sets"}
    out["sets"] = [
        {**{k: v for k, v in s.items() if k != "results"},
         "results": {name: {k: v for k, v in r.items() if k in KEEP} for name, r in s["results"].items()}}
        for s in report["sets"]
    ]  # fmt: skip
    out["benchmarks"] = {}
    for s in report["sets"]:
        r = s["results"].get(ours, {})
        if r.get("available") and "overall" in r:
            out["benchmarks"][s["name"]] = {
                **r["overall"], "dataset": s["source"], "metric": s["metric"], "target": s["target"],
                "headline": r["headline"], "per_lang": r["per_lang"], "per_category": r["per_category"],
                "texts_per_second": r["speed"]["texts_per_second"],
            }  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="benchmark names (default: all)")
    parser.add_argument("--compare", action="append", default=[], help="comparison guard spec (repeatable)")
    parser.add_argument("--limit", type=int, default=None, help="rows per set, a seed-0 sample")
    parser.add_argument("--out", default="accuracy", help="results/<out>.json and out/<out>/")
    parser.add_argument("--no-cache", action="store_true", help="do not use the embedding cache")
    parser.add_argument("--one-pass", action="store_true", help="every encoder in full on every text")
    args = parser.parse_args()
    guard = Guard.load(args.model, cascade=not args.one_pass)
    if not args.no_cache:  # test texts are embedded once, then reused by every model with this encoder
        guard = Guard(guard.parts, cached(guard.encoder), cascade=guard.cascade)
    sets = load_sets(args.only or ["all"], guard.taxonomy, limit=args.limit, seed=0)
    scorers = [GuardScorer(guard), *(make_scorer(spec) for spec in args.compare)]

    def progress(set_name: str, scorer: str, n: int, of: int) -> None:
        if n == of:
            print(f"{set_name:32s} {scorer:28s} {n} rows", file=sys.stderr, flush=True)

    command = shlex.join(["python", "benchmarks/accuracy.py", *sys.argv[1:]])
    report = run(sets, scorers, progress=progress, meta={"command": command, "seed": 0, "model": guard.model_name})
    if not args.no_cache:
        flush(guard.encoder)
    path = HERE / "results" / f"{args.out}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(compact(report), indent=1, ensure_ascii=False, default=float) + "\n")
    paths = write_reports(report, HERE.parent / "out" / args.out)
    print(f"wrote {path} and {paths['html']}", file=sys.stderr)


if __name__ == "__main__":
    main()
