"""Trainable heads on top of the encoder, their calibration and the decision rule."""

from __future__ import annotations

from slmguard.heads.calibration import TemperatureScaler
from slmguard.heads.multitask import TIERS, MultiTaskHeads
from slmguard.heads.thresholds import Decision, decide, tune_threshold

__all__ = ["TIERS", "Decision", "MultiTaskHeads", "TemperatureScaler", "decide", "tune_threshold"]
