from __future__ import annotations

from pathlib import Path

import pytest

from slmguard import Guard, InvalidInputError
from slmguard.label.queue import Strategy, load_items, order
from slmguard.label.store import item_key
from tests.label.conftest import QUERIES, make_decision_log

LOG_ROWS = [
    {"text": "sure thing", "label": "safe", "unsafe_score": 0.01, "sensitive_score": 0.01},
    {"text": "borderline", "label": "unsafe", "unsafe_score": 0.51, "sensitive_score": 0.05, "flagged": ["S1"],
     "categories": {"S1": 0.6, "S9": 0.1}},
    {"text": "bomb recipe", "label": "unsafe", "unsafe_score": 0.97, "sensitive_score": 0.0, "flagged": ["S9"],
     "categories": {"S1": 0.2, "S9": 0.95}},
    {"text": "politics?", "label": "sensitive", "unsafe_score": 0.1, "sensitive_score": 0.55},
    {"text": None, "label": "safe", "unsafe_score": 0.3, "sensitive_score": 0.3},  # logged without text
    {"text": "bomb recipe", "label": "unsafe", "unsafe_score": 0.97, "sensitive_score": 0.0},  # seen twice
    {"text": "shadow only", "label": "safe", "unsafe_score": 0.5, "sensitive_score": 0.0, "shadow": 1},
]  # fmt: skip


def test_decision_log_items_use_the_logged_scores(tmp_path: Path, guard: Guard) -> None:
    log = make_decision_log(tmp_path / "decisions.db", LOG_ROWS)
    items, skipped = load_items(log, guard)
    assert sorted(it.text for it in items) == ["bomb recipe", "borderline", "politics?", "sure thing"]
    assert skipped == {"no_text": 1}
    bomb = next(it for it in items if it.text == "bomb recipe")
    assert bomb.seen == 2 and bomb.key == item_key("bomb recipe") and bomb.unsafe_score == 0.97
    assert next(it for it in items if it.text == "borderline").categories == {"S1": 0.6, "S9": 0.1}

    assert [it.text for it in order(items, Strategy.UNCERTAIN)][:2] == ["borderline", "politics?"]
    assert [it.text for it in order(items, Strategy.FLAGGED)] == ["bomb recipe", "borderline", "politics?"]
    assert [it.text for it in order(items, Strategy.CATEGORY, category="S9")] == ["borderline"]
    shuffled = order(items, Strategy.RANDOM, seed=1)
    assert sorted(it.text for it in shuffled) == sorted(it.text for it in items)
    assert [it.key for it in shuffled] == [it.key for it in order(items, Strategy.RANDOM, seed=1)]


def test_query_file_items_are_scored_by_the_guard(query_file: Path, guard: Guard) -> None:
    items, skipped = load_items(query_file, guard)
    assert len(items) == len(QUERIES) and skipped["duplicate"] == 1
    bomb = next(it for it in items if "bomb" in it.text)
    assert bomb.label == "unsafe" and bomb.flagged
    assert order(items, Strategy.FLAGGED)[0].unsafe_score >= order(items, Strategy.FLAGGED)[-1].unsafe_score


def test_bad_inputs_are_refused(tmp_path: Path, guard: Guard) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_items(tmp_path / "missing.db", guard)
    other = tmp_path / "other.db"
    import sqlite3

    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(InvalidInputError, match="not a slmguard decision log"):
        load_items(other, guard)


def test_postgres_decision_log(pg_url: str, guard: Guard) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS decisions")
        conn.execute(
            "CREATE TABLE decisions (id BIGSERIAL PRIMARY KEY, ts TEXT, request_id TEXT, endpoint TEXT,"
            " text_sha256 TEXT, text TEXT, lang TEXT, label TEXT, action TEXT, unsafe_score REAL,"
            " sensitive_score REAL, flagged TEXT, categories TEXT, latency_ms REAL, model TEXT, shadow INTEGER,"
            " user_id TEXT)"
        )
        conn.execute(
            "INSERT INTO decisions (endpoint, text, label, action, unsafe_score, sensitive_score, flagged, categories,"
            " lang, shadow) VALUES ('guard', 'bomb recipe', 'unsafe', 'block', 0.9, 0.0, %s, %s, 'en', 0)",
            ('["S9"]', '{"S9": 0.9}'),
        )
    items, _ = load_items(pg_url, guard)
    assert [(it.text, it.flagged, it.categories) for it in items] == [("bomb recipe", ["S9"], {"S9": 0.9})]
