"""`slmguard train --extra` prints before/after metrics on dev and on the added labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slmguard.cli import app
from tests.test_train import _extra


@pytest.fixture
def no_shared_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Train on the --extra rows alone: an empty manifest, no project data, a fresh cache."""
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    (datasets / "MANIFEST.json").write_text(json.dumps({"version": 1, "datasets": {}}))
    monkeypatch.setenv("SLMGUARD_DATASETS", str(datasets))
    monkeypatch.setenv("SLMGUARD_PROJECT_DATA", str(tmp_path / "no-project-data"))
    monkeypatch.setenv("SLMGUARD_CACHE", str(tmp_path / "cache"))


@pytest.mark.usefixtures("no_shared_data")
def test_train_with_extra_labels_prints_before_and_after(tiny_taxonomy: Path, tmp_path: Path) -> None:
    extra = tmp_path / "labels.jsonl"
    extra.write_text(
        "".join(
            json.dumps({"text": e.text, "label": e.label, "categories": list(e.categories or ()), "id": e.id}) + "\n"
            for e in _extra()
        )
    )
    args = [
        "train",
        "--taxonomy",
        str(tiny_taxonomy),
        "--extra",
        str(extra),
        "--encoder",
        "minilm",
        "--epochs",
        "60",
        "--output",
        str(tmp_path / "model"),
    ]
    result = CliRunner().invoke(app, args)  # compared with the shipped model, which has no 'weapons' category
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("dev (") for line in lines) and any(
        line.startswith("labelled (80 rows)") for line in lines
    )
    weapons = [line.split() for line in lines if line.strip().startswith("f1_weapons")][-1]
    assert float(weapons[1]) == 0.0 and float(weapons[2]) >= 0.9  # learnt the new category


@pytest.mark.usefixtures("no_shared_data")
def test_a_model_that_cannot_be_compared_does_not_lose_the_new_one(tiny_taxonomy: Path, tmp_path: Path) -> None:
    import shutil

    from slmguard.guard import default_model_path

    old = Path(shutil.copytree(default_model_path(), tmp_path / "old"))
    manifest = json.loads((old / "model.json").read_text())
    manifest["info"]["encoder_version"] = "an-encoder-of-the-past"
    (old / "model.json").write_text(json.dumps(manifest))
    extra = tmp_path / "labels.jsonl"
    extra.write_text("".join(json.dumps({"text": e.text, "label": e.label}) + "\n" for e in _extra()))
    args = ["train", "--taxonomy", str(tiny_taxonomy), "--extra", str(extra), "--encoder", "minilm"]
    args += ["--epochs", "5", "--compare-to", str(old), "--output", str(tmp_path / "new")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "no before/after comparison" in result.output and "an-encoder-of-the-past" in result.output
    assert (tmp_path / "new" / "model.json").is_file()
