"""The 'before' row: frozen MiniLM with the same MLP heads, trained on the public train splits only.

No project data (no Korean harmful requests, no contrast queries, no statements), so the table in
BENCHMARKS.md shows what the data and encoder choices bought.
Run: python benchmarks/baseline.py   (then benchmarks/accuracy.py --model models/trained-baseline ...)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from slmguard.train import TrainConfig, train

OUT = Path(__file__).resolve().parents[1] / "models" / "trained-baseline"


def main() -> None:
    with tempfile.TemporaryDirectory() as empty:
        config = TrainConfig(encoder="minilm", name="baseline-minilm-public")
        result = train(config, project_dir=Path(empty))
    result.guard.save(OUT)
    print(f"saved {OUT}")


if __name__ == "__main__":
    main()
