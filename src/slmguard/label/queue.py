"""Review items from a decision log or a query file, and the strategies that order them."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from slmguard import Guard, InvalidInputError
from slmguard.data.readers import iter_rows
from slmguard.label.store import is_url, item_key

SCORE_BATCH = 64
CATEGORY_MIN = 0.05
"""The category queue leaves out texts the model gives less than this probability of the category."""


@dataclass(slots=True)
class Item:
    """One text to review with the model's verdict on it (plain JSON-ready fields)."""

    key: str
    text: str
    label: str
    action: str
    unsafe_score: float
    sensitive_score: float
    categories: dict[str, float]
    flagged: list[str]
    lang: str
    seen: int = 1
    source: str = ""

    @property
    def margin(self) -> float:
        """Gap between the two most likely tiers: small means the model is unsure."""
        safe = max(0.0, 1.0 - self.unsafe_score - self.sensitive_score)
        top = sorted((safe, self.sensitive_score, self.unsafe_score), reverse=True)
        return top[0] - top[1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "text": self.text,
            "label": self.label,
            "action": self.action,
            "unsafe_score": self.unsafe_score,
            "sensitive_score": self.sensitive_score,
            "categories": self.categories,
            "flagged": self.flagged,
            "lang": self.lang,
            "seen": self.seen,
            "source": self.source,
            "margin": round(self.margin, 4),
        }


class Strategy(StrEnum):
    """How the review queue is ordered."""

    UNCERTAIN = "uncertain"
    FLAGGED = "flagged"
    RANDOM = "random"
    CATEGORY = "category"


def is_decision_log(path: Path) -> bool:
    """A SQLite file (the decision log) rather than a query file."""
    if not path.is_file():
        return False
    with path.open("rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


def load_items(
    path: str | Path,
    guard: Guard,
    *,
    text_column: str = "text",
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Item], dict[str, int]]:
    """Items from the decision log (its stored scores) or a query file (scored now), deduplicated.

    `path` is a SQLite decision log, a `postgresql://` URL of one, or a query file.

    Returns the items and counts of what was skipped (rows without text, unreadable rows).

    Raises:
        InvalidInputError: the file is missing or has no `decisions` table.
    """
    if is_url(path):
        return _from_pg_log(str(path), limit)
    path = Path(path)
    if not path.exists():
        raise InvalidInputError(f"Input '{path}' does not exist.")
    if is_decision_log(path):
        return _from_log(path, limit)
    return _from_file(path, guard, text_column=text_column, limit=limit, progress=progress)


LOG_QUERY = (
    "SELECT text, label, action, unsafe_score, sensitive_score, categories, flagged, lang, endpoint"
    " FROM decisions WHERE shadow = 0 OR shadow IS NULL ORDER BY id DESC"
)
"""Newest first, so a text's item carries its latest verdict; shadow decisions are not what users saw."""


def _from_log(path: Path, limit: int | None) -> tuple[list[Item], dict[str, int]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(LOG_QUERY).fetchall()
    except sqlite3.DatabaseError as exc:
        raise InvalidInputError(
            f"'{path}' is not a slmguard decision log (no readable 'decisions' table): {exc}"
        ) from None
    finally:
        conn.close()
    return _log_items(rows, limit)


def _from_pg_log(url: str, limit: int | None) -> tuple[list[Item], dict[str, int]]:
    import psycopg
    from psycopg.rows import dict_row

    try:
        with psycopg.connect(url, row_factory=dict_row) as conn:
            rows = conn.execute(LOG_QUERY).fetchall()
    except psycopg.Error as exc:
        raise InvalidInputError(f"Cannot read the decision log's 'decisions' table: {exc}".strip()) from None
    return _log_items(rows, limit)


def _log_items(rows: Sequence[Any], limit: int | None) -> tuple[list[Item], dict[str, int]]:
    items: dict[str, Item] = {}
    skipped = {"no_text": 0}
    for r in rows:
        if not r["text"]:
            skipped["no_text"] += 1  # logged without log_text: nothing to show a reviewer
            continue
        key = item_key(r["text"])
        if key in items:
            items[key].seen += 1
            continue
        if limit is not None and len(items) >= limit:
            continue
        items[key] = Item(
            key=key,
            text=r["text"],
            label=r["label"],
            action=r["action"],
            unsafe_score=float(r["unsafe_score"]),
            sensitive_score=float(r["sensitive_score"]),
            categories=json.loads(r["categories"] or "{}"),
            flagged=json.loads(r["flagged"] or "[]"),
            lang=r["lang"] or "",
            source=f"log:{r['endpoint']}",
        )
    return list(items.values()), skipped


def _from_file(
    path: Path, guard: Guard, *, text_column: str, limit: int | None, progress: Callable[[int, int], None] | None
) -> tuple[list[Item], dict[str, int]]:
    texts: dict[str, str] = {}
    skipped = {"unreadable": 0, "duplicate": 0}
    for row in iter_rows(path, text_column=text_column):
        text = row.data.get("text") if not row.error else None
        if not isinstance(text, str) or not text.strip():
            skipped["unreadable"] += 1
            continue
        key = item_key(text)
        if key in texts:
            skipped["duplicate"] += 1
        elif limit is None or len(texts) < limit:
            texts[key] = text
    keys = list(texts)
    items: list[Item] = []
    for start in range(0, len(keys), SCORE_BATCH):
        batch = keys[start : start + SCORE_BATCH]
        for key, v in zip(batch, guard.check_batch([texts[k] for k in batch]), strict=True):
            items.append(
                Item(
                    key=key,
                    text=texts[key],
                    label=str(v.label),
                    action=str(v.action),
                    unsafe_score=v.unsafe_score,
                    sensitive_score=v.sensitive_score,
                    categories=v.categories,
                    flagged=list(v.flagged),
                    lang=v.lang,
                    source=path.name,
                )
            )
        if progress:
            progress(len(items), len(keys))
    return items, skipped


def order(items: Sequence[Item], strategy: Strategy, *, category: str | None = None, seed: int = 0) -> list[Item]:
    """The review order for a strategy.

    - uncertain: smallest tier margin first (uncertainty sampling);
    - flagged: only items the model flagged or did not call safe, most unsafe first;
    - random: a seeded shuffle (an unbiased sample for measuring the model);
    - category: items with some probability of `category` (>= CATEGORY_MIN), most likely first.
    """
    if strategy == Strategy.UNCERTAIN:
        return sorted(items, key=lambda it: (it.margin, it.key))
    if strategy == Strategy.FLAGGED:
        hits = [it for it in items if it.flagged or it.label != "safe"]
        return sorted(hits, key=lambda it: (-it.unsafe_score, it.key))
    if strategy == Strategy.RANDOM:
        out = sorted(items, key=lambda it: it.key)
        random.Random(seed).shuffle(out)
        return out
    if not category:
        raise InvalidInputError("The 'category' strategy needs a category code.")
    hits = [it for it in items if it.categories.get(category, 0.0) >= CATEGORY_MIN]
    return sorted(hits, key=lambda it: (-it.categories[category], it.key))
