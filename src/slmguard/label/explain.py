"""Occlusion attribution: which words drove the score, by dropping each one and re-scoring.

The encoder is frozen and the heads are small, so one batched `check_batch` over the text with
each word (or span of words, past MAX_SPANS) removed is cheap, and it explains the real model
end to end, normalisation included.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from slmguard import Guard

MAX_SPANS = 24
"""At most this many occlusions per text; longer texts are cut into spans of several words."""
_TOKEN = re.compile(r"\S+|\s+")


@dataclass(frozen=True, slots=True)
class Explanation:
    """The text cut into pieces (words and the whitespace between them) with a weight each.

    `weights[i]` is how much removing piece i lowers the target score's log-odds (positive: it
    pushed the score up); whitespace pieces weigh 0. Log-odds, not probability: at a score of
    0.99999 every removal changes the probability by less than a rounding step, but the log-odds
    still tell which words hold it there.
    """

    target: str
    score: float
    pieces: tuple[str, ...]
    weights: tuple[float, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "score": self.score,
            "pieces": list(self.pieces),
            "weights": [round(w, 4) for w in self.weights],
        }

    def top(self, n: int = 3) -> list[str]:
        """The n words that pushed the score up most."""
        ranked = sorted(range(len(self.pieces)), key=lambda i: -self.weights[i])
        return [self.pieces[i] for i in ranked[:n] if self.weights[i] > 0]


def explain(guard: Guard, text: str, *, target: str | None = None) -> Explanation:
    """Attribute the verdict's unsafe score (the sensitive score for a sensitive verdict) to words.

    Args:
        guard: the model to explain; occlusion runs its full model (`Guard.full_model`), since
            with the cascade a dropped word could move a text from one scorer to the other.
        text: the text.
        target: 'unsafe' or 'sensitive'; by default the one that matches the verdict.
    """
    pieces = _TOKEN.findall(text)
    words = [i for i, p in enumerate(pieces) if not p.isspace()]
    per_span = max(1, -(-len(words) // MAX_SPANS))
    spans = [words[s : s + per_span] for s in range(0, len(words), per_span)]
    variants = []
    for span in spans:
        drop = set(span)
        variants.append("".join(p for i, p in enumerate(pieces) if i not in drop).strip() or " ")
    base, *rest = guard.full_model().check_batch([text, *[v if v.strip() else "." for v in variants]])
    if target is None:
        target = "sensitive" if base.label == "sensitive" else "unsafe"
    attr = "sensitive_score" if target == "sensitive" else "unsafe_score"
    score = getattr(base, attr)
    weights = [0.0] * len(pieces)
    for span, v in zip(spans, rest, strict=True):
        for i in span:
            weights[i] = (_log_odds(score) - _log_odds(getattr(v, attr))) / len(span)
    return Explanation(target=target, score=score, pieces=tuple(pieces), weights=tuple(weights))


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)  # verdict scores are rounded to 6 decimals
    return math.log(p / (1 - p))
