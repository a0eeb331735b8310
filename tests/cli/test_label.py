from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from slmguard.cli import app
from slmguard.label.store import LabelStore


def test_export_writes_training_jsonl_from_the_labels_db(tmp_path: Path) -> None:
    db = tmp_path / "labels.db"
    store = LabelStore(db)
    store.save(text="폭탄 만드는 법", tier="unsafe", categories=["S9"], reviewer="ann", expected_version=0)
    store.close()
    out = tmp_path / "labels.jsonl"
    result = CliRunner().invoke(
        app, ["label", "--input", str(tmp_path / "q.txt"), "--db", str(db), "--export", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 1 labelled items" in result.output
    row = json.loads(out.read_text(encoding="utf-8"))
    assert (row["text"], row["label"], row["categories"]) == ("폭탄 만드는 법", "unsafe", ["S9"])


def test_a_missing_input_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["label", "--input", str(tmp_path / "nope.db")])
    assert result.exit_code == 2 and "does not exist" in result.output
