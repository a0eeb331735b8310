"""Speed and memory of the default Guard on this machine (CPU only).

Run: python benchmarks/speed.py [--model DIR] [--threads 2]
Measures, in one process and one run: load time, single-query latency (median, p95) over
real benign and harmful queries, batch throughput (texts/s, batches of 256), and peak RSS.
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
    texts = _queries(args.n)
    for t in texts[:20]:  # warm-up
        guard.check(t)
    latencies = []
    for t in texts[:400]:
        s = time.perf_counter()
        guard.check(t)
        latencies.append((time.perf_counter() - s) * 1000)
    latencies.sort()
    s = time.perf_counter()
    for i in range(0, len(texts), 256):
        guard.check_batch(texts[i : i + 256])
    batch_s = time.perf_counter() - s
    result = {
        "model": guard.model_name,
        "encoder": guard.parts.encoder,
        "threads": args.threads,
        "cpu": platform.processor() or platform.machine(),
        "load_seconds": round(load_s, 2),
        "single_median_ms": round(statistics.median(latencies), 2),
        "single_p95_ms": round(latencies[int(0.95 * len(latencies))], 2),
        "batch_texts_per_second": round(len(texts) / batch_s, 1),
        "batch_texts": len(texts),
        "mean_chars": round(statistics.mean(len(t) for t in texts), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result, indent=2))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
