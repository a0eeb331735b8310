"""The decision log: one durable row per decided text, in SQLite (WAL) or PostgreSQL.

The table follows the shared decision-log contract (the report and the label UI read it).
Writes are one transaction per micro-batch and happen before any response is sent, so a
request acknowledged to its client always has its rows.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from slmguard import Verdict

COLUMNS = (
    "ts",
    "request_id",
    "endpoint",
    "text_sha256",
    "text",
    "lang",
    "label",
    "action",
    "unsafe_score",
    "sensitive_score",
    "flagged",
    "categories",
    "latency_ms",
    "model",
    "shadow",
    "user_id",
)
_SQLITE_DDL = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, request_id TEXT NOT NULL, endpoint TEXT NOT NULL,
    text_sha256 TEXT NOT NULL, text TEXT, lang TEXT, label TEXT, action TEXT, unsafe_score REAL,
    sensitive_score REAL, flagged TEXT, categories TEXT, latency_ms REAL, model TEXT, shadow INTEGER, user_id TEXT
);
CREATE INDEX IF NOT EXISTS decisions_request_id ON decisions (request_id);
CREATE INDEX IF NOT EXISTS decisions_ts ON decisions (ts);
"""
_PG_DDL = _SQLITE_DDL.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")


@dataclass(frozen=True, slots=True)
class Decision:
    """What the server knows about one decided text when it logs it."""

    request_id: str
    endpoint: str
    text: str
    verdict: Verdict
    latency_ms: float
    shadow: bool
    user_id: str | None = None


def utc_now() -> str:
    """ISO-8601 UTC with milliseconds and a Z, as the contract says."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def to_row(d: Decision, *, log_text: bool) -> tuple[object, ...]:
    v = d.verdict
    return (
        utc_now(),
        d.request_id,
        d.endpoint,
        hashlib.sha256(d.text.encode("utf-8", "surrogatepass")).hexdigest(),
        d.text if log_text else None,
        v.lang,
        str(v.label),
        str(v.action),
        v.unsafe_score,
        v.sensitive_score,
        json.dumps(list(v.flagged)),
        json.dumps(v.categories, separators=(",", ":")),
        round(d.latency_ms, 3),
        v.model,
        int(d.shadow),
        d.user_id,
    )


class DecisionLog(Protocol):
    """Write a micro-batch of decisions in one committed transaction; raise if it is not stored."""

    def write(self, decisions: list[Decision]) -> None: ...

    def close(self) -> None: ...


class NullLog:
    """`log_db: none`: nothing is stored (for benchmarks of the guard alone)."""

    def write(self, decisions: list[Decision]) -> None:
        return None

    def close(self) -> None:
        return None


class SQLiteLog:
    """SQLite in WAL mode. synchronous=FULL (default): a committed row survives a crash of the process or the
    machine; NORMAL: it survives a crash of the process (SIGKILL) and saves an fsync per commit."""

    def __init__(self, path: str | Path, *, log_text: bool = False, sync: str = "full") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.log_text = log_text
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={'NORMAL' if sync == 'normal' else 'FULL'}")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SQLITE_DDL)

    def write(self, decisions: list[Decision]) -> None:
        if not decisions:
            return
        rows = [to_row(d, log_text=self.log_text) for d in decisions]
        sql = f"INSERT INTO decisions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(sql, rows)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class PostgresLog:
    """PostgreSQL by URL, for several server instances writing one log; reconnects after a lost connection."""

    def __init__(self, url: str, *, log_text: bool = False) -> None:
        import psycopg  # only needed for this backend

        self._psycopg = psycopg
        self.url = url
        self.log_text = log_text
        self._lock = threading.Lock()
        self._conn = psycopg.connect(url, autocommit=False)
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(7453)")  # instances starting together create it once
            for stmt in filter(str.strip, _PG_DDL.split(";")):
                self._conn.execute(stmt)

    def write(self, decisions: list[Decision]) -> None:
        if not decisions:
            return
        rows = [to_row(d, log_text=self.log_text) for d in decisions]
        sql = f"INSERT INTO decisions ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        with self._lock:
            if self._conn.closed:
                self._conn = self._psycopg.connect(self.url, autocommit=False)
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    cur.executemany(sql, rows)
            except self._psycopg.OperationalError:
                self._conn.close()  # the next write reconnects
                raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def open_log(url: str, *, log_text: bool = False, sync: str = "full") -> DecisionLog:
    """`sqlite:///PATH`, `postgresql://...` or `none`; `sync` is SQLite's synchronous level (full or normal)."""
    if url == "none":
        return NullLog()
    if url.startswith("sqlite:///"):
        return SQLiteLog(url.removeprefix("sqlite:///"), log_text=log_text, sync=sync)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresLog(url, log_text=log_text)
    raise ValueError(f"log_db must be 'none', sqlite:///PATH or postgresql://..., got {url!r}")
