"""Reports: every set and scorer appears, unavailable rows keep their reason, the HTML needs no network."""

from __future__ import annotations

import json
import re
from pathlib import Path

from slmguard.eval.report import write_reports
from slmguard.eval.runner import run
from tests.eval.test_runner import SET, TABLE, Broken, FixedScorer


def test_reports_are_written_and_self_contained(tmp_path: Path) -> None:
    report = run([SET], [FixedScorer(TABLE), Broken(TABLE, "down")], meta={"command": "slmguard eval toy"})
    paths = write_reports(report, tmp_path / "out")
    data = json.loads(paths["json"].read_text())
    assert (
        data["sets"][0]["results"]["fixed"]["overall"]["recall"]
        == report["sets"][0]["results"]["fixed"]["overall"]["recall"]
    )
    md = paths["markdown"].read_text()
    assert "| toy | fixed | all | 6 | 0.667 | 0.667 | 0.667 | 0.333 |" in md
    assert "| toy | fixed | ko | 3 |" in md and "unavailable: endpoint down" in md
    assert "slmguard eval toy" in md
    page = paths["html"].read_text()
    assert page.count("<svg") >= 3  # PR curve, reliability diagram, per-category bars
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched from the network
    assert "False positives" in page and "bread" in page and "endpoint down" in page
