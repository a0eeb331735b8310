"""Time `slmguard train` end to end from an empty embedding cache (the worst case on a new machine).

Run: python benchmarks/train_time.py   -> benchmarks/results/train_time.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "SLMGUARD_CACHE": cache}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "slmguard.cli", "train", "--output", out], env=env, check=True)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "slmguard.cli", "train", "--output", out], env=env, check=True)
        warm = time.perf_counter() - start
    result = {
        "cold_cache_minutes": round(cold / 60, 1),
        "warm_cache_minutes": round(warm / 60, 1),
        "cores": os.cpu_count(),
    }
    print(json.dumps(result))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "train_time.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
