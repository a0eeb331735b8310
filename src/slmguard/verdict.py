"""Verdict, Label and Action: the plain result every front-end consumes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Label(StrEnum):
    """The three tiers of a text."""

    SAFE = "safe"
    SENSITIVE = "sensitive"
    UNSAFE = "unsafe"


class Action(StrEnum):
    """What the service should do; ordered from mildest to strictest."""

    ALLOW = "allow"
    CAUTION = "caution"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Action.ALLOW: 0, Action.CAUTION: 1, Action.BLOCK: 2}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The guard's decision on one text.

    Every score is a calibrated probability in [0, 1].
    """

    label: Label
    unsafe_score: float
    sensitive_score: float
    categories: dict[str, float]
    flagged: tuple[str, ...]
    action: Action
    lang: str
    model: str
    id: str | None = None
    truncated: bool = False
    reply: str | None = None  # the safeguard reply for `block` and `caution` verdicts (see slmguard.replies)
    reply_strategy: str | None = None  # how the reply answers: a name in slmguard.replies.STRATEGIES
    reply_lang: str | None = None  # the reply's language: the query's ('en' | 'ko'), else 'en'
    reply_source: str | None = None  # 'template' (the reviewed reply bank) or 'rewrite' (a checked LLM rewrite)
    reply_note: str | None = None  # why a tried rewrite was not used (timeout, failure, rejected by the re-check)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (enums as strings, flagged as a list)."""
        out = asdict(self)
        out["label"] = str(self.label)
        out["action"] = str(self.action)
        out["flagged"] = list(self.flagged)
        return out
