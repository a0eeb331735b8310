"""Early exit: heads on the first layers of the multilingual encoder settle the texts they are sure of.

Most traffic is far from every threshold: ordinary questions, blatant requests. Heads trained on
the vectors after e5's first `layer` layers (with the n-gram logits) score every text first; a
text whose calibrated scores are at least `margin` from every threshold stops there. The others go
on, from the kept token states, to the next exit (a model can have several, e.g. after 3 and 6
layers) and finally to the full model. The margins are chosen together on dev against the full
model's labels (`cascade.choose_margins`): the exits change at most 0.5 % of them
(`cascade.MAX_FLIP_RATE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from slmguard.errors import ModelLoadError
from slmguard.heads.calibration import TemperatureScaler
from slmguard.heads.multitask import MultiTaskHeads, softmax

DIRECTORY = "early_exit"
"""Sub-directory of a model directory holding the exit heads."""


def calibrated_scores(
    heads: MultiTaskHeads, tier_cal: TemperatureScaler, cat_cal: TemperatureScaler, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Calibrated tier and category probabilities, and strategy probabilities (None without that head)."""
    tier_logits, cat_logits = heads.predict_logits(X)
    strategy = softmax(heads.predict_head_logits(X, "strategy")) if heads.has_head("strategy") else None
    return tier_cal.transform(tier_logits), cat_cal.transform(cat_logits), strategy


@dataclass
class EarlyExit:
    """Heads on the vectors after `layer` encoder layers (+ n-gram logits), and the margin that lets a text stop."""

    layer: int
    heads: MultiTaskHeads
    tier_calibration: TemperatureScaler
    category_calibration: TemperatureScaler
    margin: float

    def scores(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        return calibrated_scores(self.heads, self.tier_calibration, self.category_calibration, X)

    def save(self, directory: Path) -> dict[str, Any]:
        """Write the heads under `directory`/early_exit/layer_N; return the model.json entry (calibration included)."""
        sub = f"{DIRECTORY}/layer_{self.layer}"
        (directory / sub).mkdir(parents=True, exist_ok=True)
        self.heads.save(directory / sub)
        return {
            "layer": self.layer,
            "margin": self.margin,
            "path": f"{sub}/heads.safetensors",
            "config": self.heads.get_config(),
            "calibration": {
                "tier": self.tier_calibration.get_state(),
                "categories": self.category_calibration.get_state(),
            },
        }

    @classmethod
    def load(cls, directory: Path, entry: dict[str, Any]) -> EarlyExit:
        """Read what `save` wrote (or a single exit's entry of 0.7.0–0.12.0, whose heads sit in
        early_exit/ itself); a missing key or file is a ModelLoadError."""
        try:
            return cls(
                layer=int(entry["layer"]),
                heads=MultiTaskHeads.load(directory / Path(entry["path"]).parent, entry["config"]),
                tier_calibration=TemperatureScaler.from_state(entry["calibration"]["tier"]),
                category_calibration=TemperatureScaler.from_state(entry["calibration"]["categories"]),
                margin=float(entry["margin"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"Model '{directory}' has a corrupt early_exit entry: {exc!r}.") from exc
