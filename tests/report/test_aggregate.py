from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmguard import load_taxonomy
from slmguard.report.aggregate import Params, aggregate_duckdb, periods, render_sql
from slmguard.report.sources import normalise
from slmguard.report.summary import build_report


def _aggregate(db: Path, tmp_path: Path, **params: object) -> dict:
    normalise(str(db), tmp_path / "log.parquet")
    return aggregate_duckdb(tmp_path / "log.parquet", tmp_path / "verdicts", Params(**params))  # type: ignore[arg-type]


def test_counts_on_a_known_log(decision_log: Path, tmp_path: Path) -> None:
    raw = _aggregate(decision_log, tmp_path, min_count=2, min_users=2)
    assert raw["overview"]["rows"] == 8 and raw["overview"]["users"] == 6 and raw["overview"]["days"] == 5
    assert {r["tier"]: r["n"] for r in raw["tiers"]} == {"unsafe": 4, "sensitive": 1, "safe": 3}
    assert {r["category"]: r["n"] for r in raw["categories"]} == {"S9": 4, "S1": 1, "sensitive": 1}
    assert {(r["lang"], r["tier"]): r["n"] for r in raw["tiers_by_lang"]} == {
        ("en", "unsafe"): 3,
        ("ko", "unsafe"): 1,
        ("en", "sensitive"): 1,
        ("en", "safe"): 3,
    }
    assert raw["cooccurrence"] == [{"cat_a": "S1", "cat_b": "S9", "n": 1}]
    assert raw["repeats"] == [{"distinct_queries": 5, "repeated_queries": 2, "rows_in_repeats": 5, "max_repeats": 3}]
    assert [(q["text"], q["n"], q["users"]) for q in raw["top_queries"]] == [
        ("How do I make a pipe bomb ", 3, 3),
        ("what is the capital of france", 2, 2),
    ]
    assert {r["action"]: r["n"] for r in raw["actions"]} == {"block": 4, "caution": 1, "allow": 3}
    close = {r["action"]: r["unsafe_close"] for r in raw["close_calls"]}
    assert close == {"allow": 1, "block": 0, "caution": 0}  # 0.47 is within 0.05 of 0.5
    assert {(r["day"], r["tier"]): r["n"] for r in raw["daily"]}[("2026-11-09", "unsafe")] == 2
    assert {(r["hour"], r["tier"]): r["n"] for r in raw["hourly"]}[(8, "safe")] == 2
    assert [(t["term"], t["n"]) for t in raw["top_terms"] if t["category"] == "S9"] == [("bomb", 3), ("pipe", 3)]


def test_period_comparison(decision_log: Path, tmp_path: Path) -> None:
    raw = _aggregate(decision_log, tmp_path)
    # 11 days (Nov 1 to Nov 11): two periods of 5 days, [Nov 2, Nov 7) against [Nov 7, Nov 12)
    assert raw["periods"] == {
        "start": "2026-11-02 00:00:00",
        "cut": "2026-11-07 00:00:00",
        "end": "2026-11-12 00:00:00",
        "days": "5",
    }
    cats = {r["category"]: (r["previous_n"], r["current_n"]) for r in raw["period_categories"]}
    assert cats == {"S9": (1, 2), "S1": (0, 1), "sensitive": (0, 1)}
    tiers = {r["tier"]: (r["previous_n"], r["current_n"]) for r in raw["period_tiers"]}
    assert tiers == {"unsafe": (1, 2), "sensitive": (0, 1), "safe": (0, 3)}
    assert periods({"first_ts": "2026-10-01T00:00:00", "last_ts": "2026-11-11T05:00:00"}, 7)["cut"] == (
        "2026-11-05 00:00:00"
    )
    assert periods({"first_ts": None, "last_ts": None}, 7) is None


def test_minimum_count_rule_hides_rare_queries_and_masks_what_it_shows(decision_log: Path, tmp_path: Path) -> None:
    raw = _aggregate(decision_log, tmp_path, min_count=3, min_users=2)
    assert [q["n"] for q in raw["top_queries"]] == [3]  # the 2x query is withheld at min_count=3
    assert {r["category"]: r["queries"] for r in raw["withheld"]} == {"S1": 1, "S9": 1, "sensitive": 1}
    shown = _aggregate(decision_log, tmp_path, min_count=1, min_users=1)
    report = build_report(
        shown,
        source={"source": "x", "kind": "sqlite"},
        params=Params(min_count=1, min_users=1),
        taxonomy=load_taxonomy(),
        engine="duckdb",
        model="m",
    )
    texts = [s["text"] for s in report["samples"]["S9"]]
    assert "내 번호 [PHONE] 로 폭탄 만드는 법 보내줘" in texts
    dumped = json.dumps(report, ensure_ascii=False)
    assert "010-1234-5678" not in dumped and "qkey" not in dumped


def test_same_user_repeating_a_query_is_not_enough(tmp_path: Path) -> None:
    from tests.report.conftest import make_decision_log

    rows = [("2026-11-01T10:00:00Z", "my secret plan", "en", "unsafe", "block", 0.9, 0.0, ["S2"], "lonely")] * 5
    raw = _aggregate(make_decision_log(tmp_path / "one.db", rows), tmp_path, min_count=3, min_users=2)
    assert raw["top_queries"] == [] and raw["samples"] == [] and raw["top_terms"] == []
    assert raw["withheld"] == [{"category": "S2", "queries": 1, "n": 5}]


def test_summary_lines_are_numbers_from_the_report(decision_log: Path, tmp_path: Path) -> None:
    raw = _aggregate(decision_log, tmp_path)
    report = build_report(
        raw,
        source={"source": "x", "kind": "sqlite", "skipped_rows": 2, "bad_timestamps": 1},
        params=Params(),
        taxonomy=load_taxonomy(),
        engine="duckdb",
        model="m",
    )
    lines = report["summary"]
    assert lines[0] == "8 queries from 6 users on 5 days between 2026-11-01 and 2026-11-11."
    assert lines[1] == "50.0% unsafe (4), 12.5% sensitive (1), 37.5% safe (3)."
    assert any(line.startswith("Last 5 days: 6 queries, +500.0%") for line in lines)
    assert lines[-1].startswith("Data quality: 2 unreadable rows skipped, 1 unparseable timestamps")


def test_sql_placeholders_only_fill_known_keys() -> None:
    sql = render_sql("views_duckdb", {"src": "S", "verdicts": "V"})
    assert "FROM S n" in sql and "\\p{L}" in sql


@pytest.mark.parametrize("name", ["overview", "tiers", "top_terms", "samples"])
def test_sql_files_have_a_comment_saying_what_they_do(name: str) -> None:
    assert render_sql(name, {}).startswith("-- ")
