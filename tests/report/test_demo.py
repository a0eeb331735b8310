from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from slmguard import Guard
from slmguard.report.aggregate import Params, aggregate_duckdb
from slmguard.report.demo import DAYS, build_demo_log
from slmguard.report.sources import normalise


def test_demo_log_is_synthetic_classified_and_spread_over_weeks(guard: Guard, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(Guard, "load", classmethod(lambda cls, *a, **k: guard))  # reuse the session's guard
    path = build_demo_log(tmp_path / "demo.parquet", rows=3_000, distinct=60, users=80, seed=1)
    table = pq.read_table(path)
    assert table.num_rows == 3_000 and pc.all(table["synthetic"]).as_py()
    assert table["label"].null_count == 0 and set(table["label"].to_pylist()) <= {"safe", "sensitive", "unsafe"}
    span = (pc.max(table["ts"]).as_py() - pc.min(table["ts"]).as_py()).days
    assert DAYS - 3 <= span <= DAYS
    assert (
        table["text"].to_pylist()
        == pq.read_table(build_demo_log(tmp_path / "again.parquet", rows=3_000, distinct=60, users=80, seed=1))[
            "text"
        ].to_pylist()
    )
    normalise(str(path), tmp_path / "log.parquet")
    raw = aggregate_duckdb(tmp_path / "log.parquet", tmp_path / "verdicts", Params())
    tiers = {r["tier"]: r["n"] for r in raw["tiers"]}
    assert tiers["safe"] > tiers.get("unsafe", 0)  # mostly safe traffic, as in a real service
    daily = {}
    for r in raw["daily"]:
        daily[r["day"]] = daily.get(r["day"], 0) + r["n"]
    median = sorted(daily.values())[len(daily) // 2]
    assert daily["2026-10-13"] > 1.4 * median  # the first burst (day 9) stands out
