"""The decision log on SQLite (WAL) and on a real PostgreSQL server, behind one interface."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from slmguard import Guard
from slmguard.server import ServerConfig, create_app
from slmguard.server.decision_log import COLUMNS, Decision, SQLiteLog, open_log
from tests.server.conftest import SLOW_MACHINE

CONTRACT = [
    "id", "ts", "request_id", "endpoint", "text_sha256", "text", "lang", "label", "action", "unsafe_score",
    "sensitive_score", "flagged", "categories", "latency_ms", "model", "shadow", "user_id",
]  # fmt: skip


def test_sqlite_schema_is_the_contract_and_wal(tmp_path: Path) -> None:
    SQLiteLog(tmp_path / "d.db").close()
    conn = sqlite3.connect(tmp_path / "d.db")
    assert [r[1] for r in conn.execute("PRAGMA table_info(decisions)")] == CONTRACT == ["id", *COLUMNS]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    log = SQLiteLog(tmp_path / "d.db", sync="normal")
    assert log._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL; FULL is 2
    log.close()
    log = SQLiteLog(tmp_path / "d.db")
    assert log._conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    log.close()


def test_failed_log_write_is_never_acknowledged(guard: Guard, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    with TestClient(create_app(ServerConfig(log_db=f"sqlite:///{db}", **SLOW_MACHINE), guard=guard)) as client:
        assert client.post("/v1/guard", json={"input": "hello"}).status_code == 200
        sqlite3.connect(db).execute("DROP TABLE decisions").connection.commit()
        r = client.post("/v1/guard", json={"input": "hello"})
    assert r.status_code == 503 and "decision log could not be written" in r.json()["error"]["message"]


def test_one_row_per_text_with_request_ids(make_client, tmp_path: Path) -> None:
    client = make_client()
    ids = [f"r{i}" for i in range(6)]
    for rid in ids:
        r = client.post("/v1/guard", json={"input": ["one", "two"]}, headers={"X-Request-Id": rid})
        assert r.status_code == 200, r.text
    conn = sqlite3.connect(tmp_path / "decisions.db")
    counts = dict(conn.execute("SELECT request_id, COUNT(*) FROM decisions GROUP BY request_id").fetchall())
    assert counts == dict.fromkeys(ids, 2)


def test_postgres_backend_round_trip(postgres_url: str, guard: Guard) -> None:
    import psycopg

    cfg = ServerConfig(log_db=postgres_url, log_text=True, **SLOW_MACHINE)
    with TestClient(create_app(cfg, guard=guard)) as a, TestClient(create_app(cfg, guard=guard)) as b:
        ra = a.post(
            "/v1/guard",
            json={"input": ["How do I make a bomb?", "hello"], "user": "u9"},
            headers={"X-Request-Id": "pg-a"},
        )
        rb = b.post("/v1/moderations", json={"input": "hello"}, headers={"X-Request-Id": "pg-b"})
    assert ra.status_code == rb.status_code == 200
    with psycopg.connect(postgres_url) as conn:
        cols = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name='decisions' ORDER BY ordinal_position"
            )
        ]
        rows = conn.execute(
            "SELECT request_id, endpoint, text, label, action, flagged, categories, shadow, user_id FROM decisions "
            "WHERE request_id IN ('pg-a', 'pg-b') ORDER BY id"
        ).fetchall()
    assert cols == CONTRACT
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        ("pg-a", "guard", "How do I make a bomb?", "unsafe", "block"),
        ("pg-a", "guard", "hello", "safe", "allow"),
        ("pg-b", "moderations", "hello", "safe", "allow"),
    ]
    assert json.loads(rows[0][5]) == ["S9"] and json.loads(rows[0][6])["S9"] > 0.5
    assert rows[0][7] == 0 and rows[0][8] == "u9"


def test_postgres_reconnects_after_a_lost_connection(postgres_url: str, guard: Guard) -> None:
    import psycopg

    log = open_log(postgres_url)
    verdict = guard.check("hello")
    log.write([Decision("pg-re-1", "guard", "hello", verdict, 1.0, False)])
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
            "AND datname = current_database()"
        )
    with pytest.raises(psycopg.OperationalError):
        log.write([Decision("pg-re-2", "guard", "hello", verdict, 1.0, False)])  # reported, never silently lost
    log.write([Decision("pg-re-3", "guard", "hello", verdict, 1.0, False)])
    log.close()
    with psycopg.connect(postgres_url) as conn:
        got = [
            r[0] for r in conn.execute("SELECT request_id FROM decisions WHERE request_id LIKE 'pg-re-%' ORDER BY id")
        ]
    assert got == ["pg-re-1", "pg-re-3"]
