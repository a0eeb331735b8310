"""Speed and memory of the default Guard on this machine (CPU only).

Run: python benchmarks/speed.py [--model DIR] [--threads 2] [--before DIR]
Measures, in one process and one run: load time, single-query latency (median, p95) over
real benign and harmful queries, batch throughput (texts/s, batches of 256), and peak RSS; the
same figures with the cascade off (`full_*`: no early exit, no second pass, every encoder in full
on every text), interleaved. `--before DIR` times an earlier model on the same encoder the same
way (`before_*`; its heads share the loaded encoder, so peak RSS stays the model's own).
Writes benchmarks/results/speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import time
from itertools import zip_longest
from pathlib import Path

OUT = Path(__file__).parent / "results" / "speed.json"
SINGLE = 400
"""Queries timed one at a time (the first of the interleaved list: a hundred from each source)."""


def mixed_queries(n: int) -> list[str]:
    """Up to `n` dev queries, a quarter each: web questions, SQuARe (sensitive), HarmBench, maths."""
    from slmguard.data.manifest import Manifest

    manifest = Manifest()
    sources = [
        [r["text"] for r in manifest.rows(name, role="dev")][: n // 4]
        for name in ("webquestions", "square", "harmbench", "gsm8k_questions")
    ]
    return [t for group in zip_longest(*sources) for t in group if t is not None]  # interleaved: any prefix mixes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--before", type=Path, default=None, help="an earlier model directory, timed interleaved")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    from slmguard import Guard

    start = time.perf_counter()
    guard = Guard.load(args.model)
    load_s = time.perf_counter() - start
    # the same model with every encoder in full on every text: measured interleaved, so drift hits both alike
    full = guard.full_model()
    guards = [guard, full]
    before = None
    if args.before is not None:
        from slmguard.artifacts import load_model

        parts = load_model(args.before)
        if parts.encoder != guard.parts.encoder:
            parser.error(f"--before reads {parts.encoder}, the model {guard.parts.encoder}: not comparable here")
        before = Guard(parts, guard.encoder)
        guards.append(before)
    texts = mixed_queries(args.n)
    for t in texts[:20]:  # warm-up
        for g in guards:
            g.check(t)

    def in_turn(k: int) -> list[Guard]:
        """The guards, the k-th first: each goes first as often as the others."""
        return guards[k % len(guards) :] + guards[: k % len(guards)]

    latencies: dict[Guard, list[float]] = {g: [] for g in guards}
    for i, t in enumerate(texts[:SINGLE]):
        for g in in_turn(i):
            s = time.perf_counter()
            g.check(t)
            latencies[g].append((time.perf_counter() - s) * 1000)
    batch_s = dict.fromkeys(guards, 0.0)
    for k, i in enumerate(range(0, len(texts), 256)):
        for g in in_turn(k):
            s = time.perf_counter()
            g.check_batch(texts[i : i + 256])
            batch_s[g] += time.perf_counter() - s

    def figures(g: Guard) -> dict[str, float]:
        lat = sorted(latencies[g])
        return {
            "single_median_ms": round(statistics.median(lat), 2),
            "single_p95_ms": round(lat[int(0.95 * len(lat))], 2),
            "batch_texts_per_second": round(len(texts) / batch_s[g], 1),
        }

    cascade, whole = figures(guard), figures(full)
    result = {
        "model": guard.model_name,
        "encoder": guard.parts.encoder,
        "threads": args.threads,
        "cpu": platform.processor() or platform.machine(),
        "load_seconds": round(load_s, 2),
        "early_exits": [{"layer": e.layer, "margin": e.margin} for e in guard.early_exits],
        "two_pass_margin": guard.cascade_margin,
        **cascade,
        "single_texts": SINGLE,
        "batch_texts": len(texts),
        "mean_chars": round(statistics.mean(len(t) for t in texts), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **{f"full_{k}": v for k, v in whole.items()},
        "single_median_ratio_cascade_to_full": round(cascade["single_median_ms"] / whole["single_median_ms"], 3),
        "batch_ratio_cascade_to_full": round(cascade["batch_texts_per_second"] / whole["batch_texts_per_second"], 3),
    }
    if before is not None:
        then = figures(before)
        result |= {
            "before_model": before.model_name,
            "before_early_exits": [{"layer": e.layer, "margin": e.margin} for e in before.early_exits],
            **{f"before_{k}": v for k, v in then.items()},
            "single_median_ratio_to_before": round(cascade["single_median_ms"] / then["single_median_ms"], 3),
            "batch_ratio_to_before": round(cascade["batch_texts_per_second"] / then["batch_texts_per_second"], 3),
        }
    print(json.dumps(result, indent=2))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
