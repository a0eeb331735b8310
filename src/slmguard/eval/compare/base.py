"""The one small protocol every guard in a comparison implements: texts in, predictions out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class Unavailable(Exception):
    """A scorer (or one task of it) cannot run here; the reason goes into the report row."""


@dataclass(frozen=True, slots=True)
class Prediction:
    """One scorer's answer for one row.

    `unsafe_score` is the scorer's probability (or score in [0, 1]) that the row is unsafe;
    None when it only gives a label, so AUPRC and calibration are not defined for it.
    """

    label: str  # safe | sensitive | unsafe
    unsafe_score: float | None
    sensitive_score: float | None = None
    flagged: tuple[str, ...] = ()


@runtime_checkable
class Scorer(Protocol):
    """A guard to evaluate. `kind` is 'ours', 'baseline' or 'peer' (how the report labels it)."""

    name: str
    kind: str

    def score(self, texts: Sequence[str]) -> list[Prediction]:
        """Predictions for prompts; raises Unavailable when the guard cannot run."""
        ...

    def score_responses(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Prediction]:
        """Predictions for (prompt, response) pairs: is the response harmful? Raises Unavailable if unsupported."""
        ...
