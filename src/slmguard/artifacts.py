"""Save and load a model directory: model.json (versioned manifest), weights, calibration, taxonomy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slmguard.errors import ModelLoadError, SlmguardError
from slmguard.heads import MultiTaskHeads, TemperatureScaler
from slmguard.heads.early_exit import EarlyExit
from slmguard.heads.lexical import FILE as LEXICAL_FILE
from slmguard.heads.lexical import LexicalScorer
from slmguard.taxonomy import Taxonomy, load_taxonomy

FORMAT_VERSION = 2
"""2 added the strategy and response-judge heads and the judge's calibration."""
READABLE_VERSIONS = (1, 2)
"""Format 1 models (detection heads only) still load; their replies follow the flagged categories."""
MODEL_JSON = "model.json"


@dataclass
class ModelParts:
    """Everything a Guard is made of, as stored on disk."""

    name: str
    version: str
    encoder: str
    heads: MultiTaskHeads
    tier_calibration: TemperatureScaler
    category_calibration: TemperatureScaler
    taxonomy: Taxonomy
    category_codes: tuple[str, ...]
    info: dict[str, Any]
    judge_calibration: TemperatureScaler | None = None
    lexical: LexicalScorer | None = None
    """Character n-gram logits appended to the sentence vectors (models from 0.6.0 on)."""
    early_exits: tuple[EarlyExit, ...] = ()
    """Heads on the encoder's first layers that settle clear texts early, fewest layers first
    (models from 0.7.0 on; `slmguard train --early-exit-layer 3 --early-exit-layer 6` trains a chain)."""


def save_model(parts: ModelParts, directory: str | Path, *, model_card: str | None = None) -> Path:
    """Write `parts` to `directory` (created if needed) and return it."""
    from slmguard import __version__

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    parts.heads.save(directory)
    if parts.lexical is not None:
        parts.lexical.save(directory)
    calibration = {"tier": parts.tier_calibration.get_state(), "categories": parts.category_calibration.get_state()}
    if parts.judge_calibration is not None:
        calibration["judge"] = parts.judge_calibration.get_state()
    (directory / "calibration.json").write_text(json.dumps(calibration, indent=2) + "\n", encoding="utf-8")
    (directory / "taxonomy.yaml").write_text(parts.taxonomy.source_text, encoding="utf-8")
    manifest = {
        "format_version": FORMAT_VERSION,
        "slmguard_version": __version__,
        "name": parts.name,
        "version": parts.version,
        "encoder": parts.encoder,
        "taxonomy_sha256": parts.taxonomy.sha256,
        "category_codes": list(parts.category_codes),
        "heads": {"type": "MultiTaskHeads", "path": "heads.safetensors", "config": parts.heads.get_config()},
        "calibration": {"type": "TemperatureScaler", "path": "calibration.json"},
        **(
            {"lexical": {"type": "LexicalScorer", "path": LEXICAL_FILE, "config": parts.lexical.get_config()}}
            if parts.lexical is not None
            else {}
        ),
        **({"early_exits": [e.save(directory) for e in parts.early_exits]} if parts.early_exits else {}),
        "info": parts.info,
    }
    (directory / MODEL_JSON).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if model_card is not None:
        (directory / "MODEL_CARD.md").write_text(model_card, encoding="utf-8")
    return directory


def load_model(directory: str | Path) -> ModelParts:
    """Read a model directory written by `save_model`.

    Raises:
        ModelLoadError: the directory or a file is missing or corrupt, or the format is unknown.
    """
    directory = Path(directory)
    path = directory / MODEL_JSON
    if not path.is_file():
        raise ModelLoadError(f"No model at '{directory}': '{MODEL_JSON}' is missing.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        calibration = json.loads((directory / "calibration.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelLoadError(f"Model '{directory}' is incomplete: '{Path(exc.filename).name}' is missing.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"Model '{directory}' has a corrupt JSON file: {exc}") from exc
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version not in READABLE_VERSIONS:
        raise ModelLoadError(
            f"Model '{directory}' has format_version {version!r}; this slmguard reads formats "
            f"{', '.join(map(str, READABLE_VERSIONS))}."
        )
    try:
        taxonomy = load_taxonomy(directory / "taxonomy.yaml")
        codes = tuple(manifest["category_codes"])
        heads = MultiTaskHeads.load(directory, manifest["heads"]["config"])
        parts = ModelParts(
            name=manifest["name"],
            version=manifest["version"],
            encoder=manifest["encoder"],
            heads=heads,
            tier_calibration=TemperatureScaler.from_state(calibration["tier"]),
            category_calibration=TemperatureScaler.from_state(calibration["categories"]),
            taxonomy=taxonomy,
            category_codes=codes,
            info=manifest.get("info", {}),
            judge_calibration=TemperatureScaler.from_state(calibration["judge"]) if "judge" in calibration else None,
            lexical=LexicalScorer.load(directory, manifest["lexical"]["config"]) if "lexical" in manifest else None,
            early_exits=_early_exits(directory, manifest),
        )
    except KeyError as exc:
        raise ModelLoadError(f"Model '{directory}' is corrupt: missing key {exc}.") from exc
    except ModelLoadError:
        raise
    except SlmguardError as exc:
        raise ModelLoadError(f"Model '{directory}' cannot be loaded: {exc}") from exc
    if heads.params_["w_cat"].shape[1] != len(codes):
        raise ModelLoadError(f"Model '{directory}' is corrupt: the category head does not match category_codes.")
    return parts


def _early_exits(directory: Path, manifest: dict[str, Any]) -> tuple[EarlyExit, ...]:
    """The exits of model.json's `early_exits` list, or its single `early_exit` (0.7.0–0.12.0)."""
    entries = manifest.get("early_exits", [manifest["early_exit"]] if "early_exit" in manifest else [])
    return tuple(sorted((EarlyExit.load(directory, e) for e in entries), key=lambda e: e.layer))
