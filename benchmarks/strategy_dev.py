"""Reply strategy against gold harm categories on dev sets: the rule in use and the head's plain choice.

Run: python benchmarks/strategy_dev.py [--model DIR --out NAME]
For every unsafe verdict on the dev sets with harm categories (the corpus dev split, HarmBench val,
Do-Not-Answer), does the reply strategy fit one of the row's gold categories? Compared: the rule in
`choose_strategy` (the strategy head among the flagged categories' strategies) and the head's argmax
among all refusing strategies (the rule before 2026-11-24). Dev data only; writes
benchmarks/results/<NAME>.json (default strategy_dev).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from unittest import mock

from slmguard import Guard
from slmguard.data.corpus import build_corpus
from slmguard.data.manifest import Manifest
from slmguard.eval.datasets import load_named
from slmguard.replies import STRATEGIES, choose_strategy, strategy_fits
from slmguard.verdict import Label

RESULTS = Path(__file__).parent / "results"
DEV_SETS = ("harmbench", "do_not_answer")


def head_among_all(label: str, flagged: tuple[str, ...], probs: dict[str, float] | None) -> str:
    """The earlier rule: the head's most likely refusing strategy, whatever the verdict flags."""
    if label != Label.UNSAFE or "S11" in flagged or not probs:
        return choose_strategy(label, flagged, probs)
    refusing = {k: v for k, v in probs.items() if k in STRATEGIES and STRATEGIES[k].refuses}
    return max(refusing, key=lambda k: refusing[k])


def measure(guard: Guard, rows: list[tuple[str, tuple[str, ...]]]) -> dict[str, float]:
    with mock.patch("slmguard.guard.choose_strategy", wraps=choose_strategy) as spy:
        verdicts = guard.check_batch([text for text, _ in rows])
    calls = iter(spy.call_args_list)  # one call per verdict with a reply, in order
    in_use, plain = [], []
    for (_, gold), v in zip(rows, verdicts, strict=True):
        if v.reply_strategy is None:
            continue
        label, flagged, probs = next(calls).args
        in_use.append(strategy_fits(v.reply_strategy, gold))
        plain.append(strategy_fits(head_among_all(label, flagged, probs), gold))
    return {
        "replies": len(in_use),
        "fit_flagged_categories": sum(in_use) / max(len(in_use), 1),
        "fit_head_among_all": sum(plain) / max(len(plain), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--out", default="strategy_dev", help="results/<out>.json")
    args = parser.parse_args()
    guard = Guard.load(args.model)
    manifest = Manifest()
    sets = {
        "corpus_dev": [
            (e.text, tuple(e.categories)) for e in build_corpus(manifest).dev if e.label == "unsafe" and e.categories
        ]
    }
    for name in DEV_SETS:
        evalset = load_named(name, manifest, role="dev")
        sets[name] = [(r.text, r.categories) for r in evalset.rows if r.label == evalset.positive and r.categories]
    results = {name: measure(guard, rows) for name, rows in sets.items()}
    for name, r in results.items():
        print(f"{name:14s} {r['replies']:5d} replies  flagged-categories rule {r['fit_flagged_categories']:.3f}  "
              f"head among all {r['fit_head_among_all']:.3f}")  # fmt: skip
    out = RESULTS / f"{args.out}.json"
    out.write_text(json.dumps({"model": guard.model_name, "sets": results}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
