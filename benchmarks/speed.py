"""Speed and memory of the default Guard on this machine (CPU only).

Run: python benchmarks/speed.py [--model DIR] [--threads 2]
Measures, in one process and one run: load time, single-query latency (median, p95) over
real benign and harmful queries, batch throughput (texts/s, batches of 256), and peak RSS; the
same figures with two-pass scoring off (`one_pass_*`, every encoder on every text), interleaved.
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
from pathlib import Path

OUT = Path(__file__).parent / "results" / "speed.json"


def _queries(n: int) -> list[str]:
    from slmguard.data.manifest import Manifest

    manifest = Manifest()
    texts: list[str] = []
    for name, role in (("webquestions", "dev"), ("square", "dev"), ("harmbench", "dev"), ("gsm8k_questions", "dev")):
        texts += [r["text"] for r in manifest.rows(name, role=role)][: n // 4]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    from slmguard import Guard

    start = time.perf_counter()
    guard = Guard.load(args.model)
    load_s = time.perf_counter() - start
    # the same model with every encoder on every text: measured interleaved, so drift hits both alike
    one_pass = Guard(guard.parts, guard.encoder, two_pass=False)
    texts = _queries(args.n)
    for t in texts[:20]:  # warm-up
        guard.check(t)
        one_pass.check(t)
    latencies: dict[Guard, list[float]] = {guard: [], one_pass: []}
    for i, t in enumerate(texts[:400]):
        for g in (guard, one_pass) if i % 2 else (one_pass, guard):
            s = time.perf_counter()
            g.check(t)
            latencies[g].append((time.perf_counter() - s) * 1000)
    batch_s = {guard: 0.0, one_pass: 0.0}
    for i in range(0, len(texts), 256):
        for g in (guard, one_pass) if i % 512 else (one_pass, guard):
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

    two, one = figures(guard), figures(one_pass)
    result = {
        "model": guard.model_name,
        "encoder": guard.parts.encoder,
        "threads": args.threads,
        "cpu": platform.processor() or platform.machine(),
        "load_seconds": round(load_s, 2),
        "two_pass_margin": guard.cascade_margin,
        **two,
        "batch_texts": len(texts),
        "mean_chars": round(statistics.mean(len(t) for t in texts), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **{f"one_pass_{k}": v for k, v in one.items()},
        "single_median_ratio_two_to_one_pass": round(two["single_median_ms"] / one["single_median_ms"], 3),
        "batch_ratio_two_to_one_pass": round(two["batch_texts_per_second"] / one["batch_texts_per_second"], 3),
    }
    print(json.dumps(result, indent=2))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
