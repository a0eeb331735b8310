"""Durable labels in SQLite (WAL) or PostgreSQL (by URL), beside the decision log when one is given.

One row per (item, reviewer) save. An item's version is the highest version of its rows;
a save names the version the reviewer saw, so a reviewer who edited an item that someone
else has labelled since gets a `LabelConflict` instead of silently overwriting.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slmguard.errors import SlmguardError

SCHEMA = """
CREATE TABLE IF NOT EXISTS labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_key TEXT NOT NULL,
    text TEXT NOT NULL,
    tier TEXT NOT NULL,
    categories TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL,
    ts TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS labels_item ON labels (item_key, version);
"""
PG_SCHEMA = SCHEMA.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")


def is_url(location: str | Path) -> bool:
    """A PostgreSQL URL rather than a SQLite file path."""
    return str(location).startswith(("postgresql://", "postgres://"))


def item_key(text: str) -> str:
    """The item key: the text's SHA-256, as the decision log's `text_sha256`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Label:
    """One saved label."""

    id: int
    item_key: str
    text: str
    tier: str
    categories: tuple[str, ...]
    note: str
    reviewer: str
    ts: str
    version: int

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["categories"] = list(self.categories)
        return out


class LabelConflict(SlmguardError):
    """The item changed since the reviewer loaded it; `latest` is the label that changed it."""

    def __init__(self, message: str, *, latest: Label | None, version: int) -> None:
        super().__init__(message)
        self.latest = latest
        self.version = version


class LabelStore:
    """The `labels` table. Thread-safe: one connection, one lock (writes are serialised anyway).

    `location` is a SQLite file (WAL mode) or a `postgresql://` URL (psycopg, installed with the
    `postgres` extra). SQL is written once with `?` placeholders and adapted for PostgreSQL.
    """

    def __init__(self, location: str | Path) -> None:
        self.location = str(location)
        self._pg = is_url(location)
        if self._pg:
            import psycopg
            from psycopg.rows import dict_row

            try:
                self._conn: Any = psycopg.connect(self.location, autocommit=True, row_factory=dict_row)
            except psycopg.OperationalError as exc:
                raise SlmguardError(f"Cannot connect to the labels database: {exc}".strip()) from None
            self._conn.execute(PG_SCHEMA)
        else:
            self._conn = sqlite3.connect(location, check_same_thread=False, isolation_level=None, timeout=10)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def _sql(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql.replace("?", "%s") if self._pg else sql, tuple(params))

    @contextmanager
    def _write(self, key: str) -> Iterator[None]:
        """One transaction that holds the item: concurrent saves of one item run one after the other."""
        with self._lock:
            self._sql("BEGIN" if self._pg else "BEGIN IMMEDIATE")
            try:
                if self._pg:  # other processes may write too: lock the item for this transaction
                    self._sql("SELECT pg_advisory_xact_lock(hashtext(?))", (key,))
                yield
            except BaseException:
                self._sql("ROLLBACK")
                raise
            self._sql("COMMIT")

    def version(self, key: str) -> int:
        """The item's current version (0 when nobody has labelled it)."""
        with self._lock:
            return self._max_version(key)

    def save(
        self,
        *,
        text: str,
        tier: str,
        categories: Sequence[str],
        reviewer: str,
        expected_version: int,
        note: str = "",
    ) -> Label:
        """Record a label; validation of tier and categories is the caller's (see `rules`).

        Raises:
            LabelConflict: the item's version is no longer `expected_version`.
        """
        key = item_key(text)
        with self._write(key):
            current = self._max_version(key)
            if current != expected_version:
                latest = self._latest(key)
                who = f"{latest.reviewer} labelled it {latest.tier}" if latest else "its labels changed"
                cats = f" ({', '.join(latest.categories)})" if latest and latest.categories else ""
                raise LabelConflict(
                    f"This item changed while you were editing: {who}{cats}. "
                    "Your label is still in the form; save again to keep both.",
                    latest=latest,
                    version=current,
                )
            ts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            row = self._sql(
                "INSERT INTO labels (item_key, text, tier, categories, note, reviewer, ts, version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (key, text, tier, json.dumps(list(categories)), note, reviewer, ts, current + 1),
            ).fetchone()
            return _label(row)

    def undo(self, *, key: str, reviewer: str, version: int) -> Label | None:
        """Delete `reviewer`'s save that made `version`; returns the reviewer's label before it.

        Raises:
            LabelConflict: someone saved after it, so undoing would hide their label's context.
        """
        with self._write(key):
            current = self._max_version(key)
            row = self._sql(
                "SELECT * FROM labels WHERE item_key = ? AND reviewer = ? AND version = ?", (key, reviewer, version)
            ).fetchone()
            if row is None or current != version:
                raise LabelConflict(
                    "Cannot undo: the label is not the item's latest (another reviewer saved since).",
                    latest=self._latest(key),
                    version=current,
                )
            self._sql("DELETE FROM labels WHERE id = ?", (row["id"],))
            prev = self._sql(
                "SELECT * FROM labels WHERE item_key = ? AND reviewer = ? ORDER BY version DESC LIMIT 1",
                (key, reviewer),
            ).fetchone()
            return _label(prev) if prev else None

    def _max_version(self, key: str) -> int:
        row = self._sql("SELECT MAX(version) AS v FROM labels WHERE item_key = ?", (key,)).fetchone()
        return int(row["v"] or 0)

    def _latest(self, key: str) -> Label | None:
        row = self._sql("SELECT * FROM labels WHERE item_key = ? ORDER BY version DESC LIMIT 1", (key,)).fetchone()
        return _label(row) if row else None

    def history(self, key: str) -> list[Label]:
        """Every label of an item, oldest first."""
        with self._lock:
            rows = self._sql("SELECT * FROM labels WHERE item_key = ? ORDER BY version", (key,)).fetchall()
        return [_label(r) for r in rows]

    def current(self) -> list[Label]:
        """The latest label of each (item, reviewer) pair."""
        with self._lock:
            rows = self._sql(
                "SELECT l.* FROM labels l JOIN (SELECT item_key, reviewer, MAX(version) v FROM labels"
                " GROUP BY item_key, reviewer) m ON l.item_key = m.item_key AND l.reviewer = m.reviewer"
                " AND l.version = m.v ORDER BY l.item_key, l.version"
            ).fetchall()
        return [_label(r) for r in rows]

    def labelled_keys(self, reviewer: str | None = None) -> set[str]:
        """Items labelled by `reviewer` (by anyone when None)."""
        with self._lock:
            if reviewer is None:
                rows = self._sql("SELECT DISTINCT item_key FROM labels").fetchall()
            else:
                rows = self._sql("SELECT DISTINCT item_key FROM labels WHERE reviewer = ?", (reviewer,)).fetchall()
        return {r["item_key"] for r in rows}

    def export_rows(self) -> list[dict[str, Any]]:
        """Training rows (`text`, `label`, `categories`, `id`): per item the latest label wins."""
        latest: dict[str, Label] = {}
        for lab in self.current():
            if lab.item_key not in latest or lab.version > latest[lab.item_key].version:
                latest[lab.item_key] = lab
        return [
            {
                "id": f"label-{lab.item_key[:16]}",
                "text": lab.text,
                "label": lab.tier,
                "categories": list(lab.categories),
                "reviewer": lab.reviewer,
                "note": lab.note,
            }
            for lab in latest.values()
        ]

    def export_jsonl(self, path: str | Path) -> int:
        """Write the training JSONL that `slmguard train --extra` reads; returns the row count."""
        rows = self.export_rows()
        with Path(path).open("w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        return len(rows)


def _label(row: Any) -> Label:
    return Label(
        id=row["id"],
        item_key=row["item_key"],
        text=row["text"],
        tier=row["tier"],
        categories=tuple(json.loads(row["categories"])),
        note=row["note"],
        reviewer=row["reviewer"],
        ts=row["ts"],
        version=row["version"],
    )


def agreement(labels: Sequence[Label]) -> dict[str, float]:
    """Inter-reviewer agreement over items with two or more reviewers.

    Returns the number of such items, the share of reviewer pairs that agree on the tier and on
    tier + categories, and Cohen's kappa on the tier (pooled over all pairs).
    """
    by_item: dict[str, list[Label]] = {}
    for lab in labels:
        by_item.setdefault(lab.item_key, []).append(lab)
    pairs = [
        (a, b)
        for labs in by_item.values()
        for i, a in enumerate(labs)
        for b in labs[i + 1 :]
        if a.reviewer != b.reviewer
    ]
    items = sum(1 for labs in by_item.values() if len({x.reviewer for x in labs}) > 1)
    if not pairs:
        return {"items": 0, "pairs": 0}
    tier_agree = sum(a.tier == b.tier for a, b in pairs) / len(pairs)
    exact = sum(a.tier == b.tier and set(a.categories) == set(b.categories) for a, b in pairs) / len(pairs)
    tiers = [t for a, b in pairs for t in (a.tier, b.tier)]
    expected = sum((tiers.count(t) / len(tiers)) ** 2 for t in set(tiers))
    kappa = 1.0 if expected == 1.0 else (tier_agree - expected) / (1 - expected)
    return {
        "items": items,
        "pairs": len(pairs),
        "tier_agreement": tier_agree,
        "exact_agreement": exact,
        "tier_kappa": kappa,
    }


def _shingles(text: str) -> set[str]:
    t = " ".join(text.lower().split())
    return {t[i : i + 3] for i in range(max(1, len(t) - 2))}


def similar(labels: Sequence[Label], text: str, *, n: int = 3, min_similarity: float = 0.5) -> list[dict[str, Any]]:
    """Earlier labels of identical or similar texts (character-trigram Jaccard), most similar first.

    Character trigrams work for Korean as well as English and need no model.
    """
    key = item_key(text)
    grams = _shingles(text)
    scored = []
    for lab in labels:
        sim = 1.0 if lab.item_key == key else len(grams & (g := _shingles(lab.text))) / len(grams | g)
        if sim >= min_similarity:
            scored.append((sim, lab))
    scored.sort(key=lambda x: (-x[0], -x[1].version))
    return [{**lab.to_dict(), "similarity": round(sim, 3)} for sim, lab in scored[:n]]
