"""Our Guard as a Scorer: prompts through `check_batch`, responses through `check_responses` when it has one."""

from __future__ import annotations

from collections.abc import Sequence

from slmguard.eval.compare.base import Prediction, Unavailable
from slmguard.guard import Guard
from slmguard.replies.judge import ResponseVerdict
from slmguard.verdict import Verdict


def _prediction(v: Verdict) -> Prediction:
    return Prediction(str(v.label), v.unsafe_score, v.sensitive_score, tuple(v.flagged))


def _response_prediction(v: ResponseVerdict) -> Prediction:
    """A harmful response is the positive ('unsafe') class; refusal and compliance are both safe."""
    return Prediction("unsafe" if v.label == "harmful" else "safe", v.harmful_score, 0.0, ())


class GuardScorer:
    """Wraps a Guard (or any object with the same `check_batch` / `check_responses`)."""

    kind = "ours"

    def __init__(self, guard: Guard, *, name: str | None = None) -> None:
        self.guard = guard
        self.name = name or guard.model_name

    def score(self, texts: Sequence[str]) -> list[Prediction]:
        return [_prediction(v) for v in self.guard.check_batch(list(texts))]

    def score_responses(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Prediction]:
        check_responses = getattr(self.guard, "check_responses", None)
        if check_responses is None:
            raise Unavailable(f"{self.name} has no response judge (Guard.check_responses)")
        return [_response_prediction(v) for v in check_responses(list(prompts), list(responses))]
