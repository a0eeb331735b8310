"""The response judge: is an assistant response to a prompt harmful, a refusal or a compliance?

It is one more head on the guard's shared trunk. Its input is the embedding of one text that
holds the response first and then the prompt (`pair_text`): the same encoder and the same
trunk as the detection heads, one encoder call per pair, and the response's opening (where a
refusal shows) always inside the encoder's window, while the prompt adds the context that
tells a harmful answer from a harmless one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from slmguard._validation import check_texts
from slmguard.errors import InvalidInputError
from slmguard.heads.multitask import softmax
from slmguard.normalize import normalize

if TYPE_CHECKING:
    from slmguard.guard import Guard

JUDGE_CLASSES = ("harmful", "refusal", "compliance")
"""harmful: the response gives what should have been withheld; refusal: it declines (fully or
partly, including a safe completion); compliance: it answers a harmless request."""
RESPONSE_CHARS = 300
PROMPT_CHARS = 120


@dataclass(frozen=True, slots=True)
class ResponseVerdict:
    """The judge's decision on one (prompt, response) pair; scores are calibrated probabilities."""

    label: str
    harmful_score: float
    refusal_score: float
    compliance_score: float
    model: str

    @property
    def safe(self) -> bool:
        """Whether the response may be shown (it is not harmful)."""
        return self.label != "harmful"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pair_text(prompt: str, response: str) -> str:
    """The one text the judge embeds: the response's opening, then the prompt as context."""
    return f"{response.strip()[:RESPONSE_CHARS]}\n\n[request] {prompt.strip()[:PROMPT_CHARS]}"


def judge_responses(guard: Guard, prompts: Sequence[str], responses: Sequence[str]) -> list[ResponseVerdict]:
    """Judge each (prompt, response) pair.

    Raises:
        InvalidInputError: empty texts or lists of different lengths.
        NotFittedError: the model has no judge head.
    """
    prompts, responses = check_texts(prompts), check_texts(responses)
    if len(prompts) != len(responses):
        raise InvalidInputError(f"'prompts' has {len(prompts)} items but 'responses' has {len(responses)}.")
    probs = judge_proba(guard, [pair_text(p, r) for p, r in zip(prompts, responses, strict=True)])
    return [
        ResponseVerdict(
            label=JUDGE_CLASSES[int(np.argmax(row))],
            harmful_score=round(float(row[0]), 6),
            refusal_score=round(float(row[1]), 6),
            compliance_score=round(float(row[2]), 6),
            model=guard.model_name,
        )
        for row in probs
    ]


def judge_proba(guard: Guard, pairs: Sequence[str]) -> np.ndarray:
    """Calibrated (n, 3) probabilities over JUDGE_CLASSES for texts built by `pair_text`."""
    heads = guard.parts.heads
    logits = heads.predict_head_logits(guard.features([normalize(t) for t in pairs]), "judge")
    calibration = guard.parts.judge_calibration
    return calibration.transform(logits) if calibration is not None else softmax(logits)
