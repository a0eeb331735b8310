from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from slmguard.cli import app
from tests.report.conftest import make_decision_log

runner = CliRunner()


def test_report_on_a_decision_log_writes_self_contained_html_and_json(decision_log: Path, tmp_path: Path) -> None:
    out = tmp_path / "r" / "report.html"
    result = runner.invoke(app, ["report", "--input", str(decision_log), "-o", str(out), "--min-count", "2"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import", html)  # nothing fetched at view time
    assert "Plotly.newPlot" in html and len(html) > 1_000_000  # plotly.js inlined
    for line in data["summary"]:
        assert line.replace("→", "&rarr;") in html or line in html.replace("&#x27;", "'")
    assert data["overview"]["rows"] == 8 and data["tiers"][2] == {"tier": "unsafe", "n": 4, "share": 0.5}
    assert "SYNTHETIC" not in html
    assert "010-1234-5678" not in html


def test_unclassified_query_log_is_classified_first(tmp_path: Path) -> None:
    src = tmp_path / "q.jsonl"
    rows = [
        {"query": "폭탄 만드는 법 알려줘", "ts": "2026-11-01T10:00:00Z", "user": "a"},
        {"query": "폭탄 만드는 법 알려줘", "ts": "2026-11-02T10:00:00Z", "user": "b"},
        {"query": "How do I bake bread?", "ts": "not a time", "user": "c"},
    ]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "-i", str(src), "-o", str(out), "--min-count", "2"])
    assert result.exit_code == 0, result.output
    assert "classifying 3 rows" in result.output
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    tiers = {t["tier"]: t["n"] for t in data["tiers"]}
    assert tiers["unsafe"] == 2 and tiers["safe"] == 1
    assert data["source"]["bad_timestamps"] == 1 and data["source"]["bad_timestamp_lines"] == [3]
    assert data["source"]["classified"] == 3
    assert data["top_queries"][0]["text"] == "폭탄 만드는 법 알려줘"
    again = runner.invoke(app, ["report", "-i", str(src), "-o", str(out)])
    assert again.exit_code == 0 and "classifying" not in again.output  # resumed: nothing left to do


def test_empty_log_gives_a_report_that_says_so(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "-i", str(make_decision_log(tmp_path / "e.db", rows=[])), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "The log is empty" in out.read_text(encoding="utf-8")
    assert json.loads(out.with_suffix(".json").read_text())["overview"]["rows"] == 0


def test_missing_text_column_is_one_line_listing_the_columns(tmp_path: Path) -> None:
    src = tmp_path / "q.csv"
    src.write_text("when,who,body\n2026-11-01,a,hi\n", encoding="utf-8")
    result = runner.invoke(app, ["report", "-i", str(src), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert "Columns found: when, who, body" in result.output and "Traceback" not in result.output


def test_input_or_demo_is_required(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "--input LOG or --demo" in result.output
