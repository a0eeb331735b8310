"""The decision log read from PostgreSQL (a throw-away local cluster) gives the same rows as from SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from slmguard.errors import InvalidInputError
from slmguard.report.sources import normalise
from tests.postgres import throwaway_postgres
from tests.report.conftest import DECISIONS

psycopg = pytest.importorskip("psycopg")

PG_DDL = """
CREATE TABLE decisions (
    id BIGSERIAL PRIMARY KEY, ts TEXT, request_id TEXT, endpoint TEXT, text_sha256 TEXT, text TEXT, lang TEXT,
    label TEXT, action TEXT, unsafe_score REAL, sensitive_score REAL, flagged TEXT, categories TEXT,
    latency_ms REAL, model TEXT, shadow INTEGER, user_id TEXT
)
"""


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


def test_decision_log_from_postgres(pg_url: str, decision_log: Path, tmp_path: Path) -> None:
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS decisions")
        con.execute(PG_DDL)
        for ts, text, lang, label, action, u, s, flagged, user in DECISIONS:
            con.execute(
                "INSERT INTO decisions (ts, text_sha256, text, lang, label, action, unsafe_score, sensitive_score, "
                "flagged, categories, user_id, endpoint, shadow) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'guard',0)",
                (ts, "x", text, lang, label, action, u, s, json.dumps(flagged), "{}", user),
            )
    stats = normalise(pg_url, tmp_path / "pg.parquet")
    normalise(str(decision_log), tmp_path / "lite.parquet")
    assert stats.kind == "postgres" and stats.rows == len(DECISIONS)
    pg_rows = pq.read_table(tmp_path / "pg.parquet").drop(["text_sha256"]).to_pylist()
    lite_rows = pq.read_table(tmp_path / "lite.parquet").drop(["text_sha256"]).to_pylist()
    for a, b in zip(pg_rows, lite_rows, strict=True):
        assert a["unsafe_score"] == pytest.approx(b["unsafe_score"], abs=1e-6)  # REAL is float4 in PostgreSQL
        assert {k: v for k, v in a.items() if not k.endswith("_score")} == {
            k: v for k, v in b.items() if not k.endswith("_score")
        }
    with pytest.raises(InvalidInputError, match="Cannot read table 'nope'"):
        normalise(pg_url, tmp_path / "x.parquet", table="nope")
    with pytest.raises(InvalidInputError, match="Cannot connect to PostgreSQL"):
        normalise("postgresql://postgres@/postgres?host=/nonexistent&port=1", tmp_path / "y.parquet")
