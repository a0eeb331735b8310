"""Post-hoc calibration of head logits on dev data: temperature scaling."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
from scipy.optimize import minimize_scalar

from slmguard.errors import NotFittedError
from slmguard.heads.multitask import sigmoid, softmax


class TemperatureScaler:
    """Divide logits by one learned temperature, chosen to minimise dev log-loss.

    `kind="softmax"` for a multi-class head (labels are class indices), `kind="sigmoid"`
    for multi-label logits (labels are 0/1 with NaN for unknown cells).
    """

    config_keys: ClassVar[tuple[str, ...]] = ("kind",)

    def __init__(self, *, kind: str = "softmax") -> None:
        self.kind = kind

    def fit(self, logits: np.ndarray, y: np.ndarray) -> Self:
        logits = np.asarray(logits, np.float64)
        y = np.asarray(y)
        if self.kind == "softmax":

            def loss(t: float) -> float:
                p = softmax(logits / t)
                return float(-np.log(np.clip(p[np.arange(len(y)), y.astype(int)], 1e-12, None)).mean())
        else:
            known = ~np.isnan(y.astype(np.float64))
            z, t_y = logits[known], y.astype(np.float64)[known]

            def loss(t: float) -> float:
                p = np.clip(sigmoid(z / t), 1e-12, 1 - 1e-12)
                return float(-(t_y * np.log(p) + (1 - t_y) * np.log(1 - p)).mean())

        self.temperature_ = float(minimize_scalar(loss, bounds=(0.05, 20.0), method="bounded").x)
        return self

    def transform(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities."""
        t = getattr(self, "temperature_", None)
        if t is None:
            raise NotFittedError("This TemperatureScaler is not fitted yet. Call 'fit' first.")
        z = np.asarray(logits, np.float64) / t
        return softmax(z) if self.kind == "softmax" else sigmoid(z)

    def get_state(self) -> dict[str, Any]:
        return {"kind": self.kind, "temperature": self.temperature_}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Self:
        scaler = cls(kind=state["kind"])
        scaler.temperature_ = float(state["temperature"])
        return scaler
