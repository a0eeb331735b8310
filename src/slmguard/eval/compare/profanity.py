"""`alt-profanity-check` (a linear SVM on English offensive language) as a peer row."""

from __future__ import annotations

from collections.abc import Sequence

from slmguard.eval.compare.base import Prediction, Unavailable


class ProfanityCheckScorer:
    """Its probability of offensive language, read as the unsafe score (threshold 0.5)."""

    name = "alt-profanity-check"
    kind = "peer"

    def score(self, texts: Sequence[str]) -> list[Prediction]:
        try:
            from profanity_check import predict_prob
        except ImportError as exc:
            raise Unavailable(f"alt-profanity-check is not installed ({exc}); pip install alt-profanity-check") from exc
        probs = predict_prob(list(texts))
        return [Prediction("unsafe" if p >= 0.5 else "safe", float(p)) for p in probs]

    def score_responses(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Prediction]:
        raise Unavailable("alt-profanity-check classifies single texts, not prompt-response pairs")
