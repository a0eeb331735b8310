from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slmguard.errors import InvalidInputError
from slmguard.report.sources import SCHEMA, normalise, source_kind
from tests.report.conftest import DECISIONS, make_decision_log


def _read(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def test_decision_log_sqlite_is_read_per_contract(decision_log: Path, tmp_path: Path) -> None:
    out = tmp_path / "log.parquet"
    stats = normalise(str(decision_log), out)
    rows = _read(out)
    assert stats.kind == "sqlite" and stats.rows == len(DECISIONS) and stats.bad_timestamps == 0
    assert pq.read_schema(out).equals(SCHEMA)
    assert [r["row_id"] for r in rows] == list(range(1, len(DECISIONS) + 1))
    assert rows[2]["flagged"] == ["S9", "S1"] and rows[5]["flagged"] == []
    assert rows[0]["ts"].isoformat() == "2026-11-01T10:00:00"
    assert rows[4]["label"] == "sensitive" and rows[4]["action"] == "caution" and rows[4]["user_id"] == "u1"
    assert normalise(f"sqlite:///{decision_log}", tmp_path / "b.parquet").rows == len(DECISIONS)


def test_decision_log_without_text_keeps_the_hash(tmp_path: Path) -> None:
    db = make_decision_log(tmp_path / "notext.db", with_text=False)
    stats = normalise(str(db), tmp_path / "log.parquet")
    rows = _read(tmp_path / "log.parquet")
    assert stats.columns["text"] == "text"
    assert all(r["text"] is None for r in rows) and rows[0]["text_sha256"] == "sha-how do i make a pipe bomb"


def test_unknown_table_lists_the_tables(decision_log: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="Tables found: decisions"):
        normalise(str(decision_log), tmp_path / "x.parquet", table="nope")


def test_jsonl_mixed_encodings_and_bad_timestamps_are_counted_not_fatal(tmp_path: Path) -> None:
    src = tmp_path / "q.jsonl"
    lines = [
        json.dumps({"query": "hello", "timestamp": "2026-11-01T10:00:00Z", "user": "a"}).encode(),
        json.dumps({"query": "안녕하세요", "timestamp": "yesterday-ish", "user": "b"}, ensure_ascii=False).encode(),
        b'{"query": "caf\xe9 latin-1", "timestamp": "2026-11-01"}',
        json.dumps({"query": "epoch-less", "timestamp": "2026/11/02 13:45"}).encode(),
        b"{not json",
        json.dumps({"query": "last", "timestamp": ""}).encode(),
    ]
    src.write_bytes(b"\n".join(lines) + b"\n")
    stats = normalise(str(src), tmp_path / "log.parquet")
    rows = _read(tmp_path / "log.parquet")
    assert [r["text"] for r in rows] == ["hello", "안녕하세요", "epoch-less", "last"]
    assert [r["row_id"] for r in rows] == [1, 2, 4, 6]
    assert stats.skipped_rows == 2 and stats.skipped_lines == [3, 5]
    assert stats.skip_reasons == {"invalid UTF-8": 1, "malformed JSON": 1}
    assert stats.bad_timestamps == 1 and stats.bad_timestamp_lines == [2]
    assert stats.missing_timestamps == 1  # the empty one is missing, not unparseable
    assert rows[2]["ts"].isoformat() == "2026-11-02T13:45:00" and rows[1]["ts"] is None
    assert stats.columns["text"] == "query" and stats.columns["user"] == "user"


def test_missing_text_column_lists_the_columns_found(tmp_path: Path) -> None:
    src = tmp_path / "q.csv"
    src.write_text("when,who,body\n2026-11-01,a,hi\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"Columns found: when, who, body"):
        normalise(str(src), tmp_path / "log.parquet")
    jsonl = tmp_path / "q.jsonl"
    jsonl.write_text('{"body": "hi", "who": "a"}\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"Columns found: body, who"):
        normalise(str(jsonl), tmp_path / "log.parquet", text_column="message")
    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "q.parquet")
    with pytest.raises(InvalidInputError, match=r"Columns found: body"):
        normalise(str(tmp_path / "q.parquet"), tmp_path / "log.parquet")


def test_csv_and_parquet_with_verdict_columns(tmp_path: Path) -> None:
    src = tmp_path / "q.csv"
    src.write_text(
        "prompt,created_at,label,unsafe_score,flagged\n"
        "make a bomb,2026-11-01 10:00,unsafe,0.9,S9\n"
        "hi there,1 Nov 2026 11:00,,,\n",
        encoding="utf-8",
    )
    normalise(str(src), tmp_path / "a.parquet")
    rows = _read(tmp_path / "a.parquet")
    assert rows[0]["flagged"] == ["S9"] and rows[0]["unsafe_score"] == 0.9 and rows[0]["row_id"] == 2
    assert rows[1]["label"] is None and rows[1]["ts"].isoformat() == "2026-11-01T11:00:00"
    pq.write_table(
        pa.table({"text": ["a", "b"], "ts": pa.array([1_700_000_000, None], pa.int64())}), tmp_path / "q.parquet"
    )
    stats = normalise(str(tmp_path / "q.parquet"), tmp_path / "b.parquet")
    rows = _read(tmp_path / "b.parquet")
    assert rows[0]["ts"].isoformat() == "2023-11-14T22:13:20" and rows[1]["ts"] is None
    assert stats.missing_timestamps == 1 and stats.bad_timestamps == 0


def test_empty_logs(tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_text("", encoding="utf-8")
    assert normalise(str(tmp_path / "e.jsonl"), tmp_path / "a.parquet").rows == 0
    db = make_decision_log(tmp_path / "e.db", rows=[])
    assert normalise(str(db), tmp_path / "b.parquet").rows == 0
    assert pq.read_table(tmp_path / "b.parquet").num_rows == 0


def test_source_kind() -> None:
    assert source_kind("postgresql://u@h/db") == "postgres"
    assert source_kind("x.parquet") == "parquet" and source_kind("x.jsonl") == "jsonl"
    with pytest.raises(InvalidInputError, match="Cannot tell the format"):
        source_kind("notes.txt")
