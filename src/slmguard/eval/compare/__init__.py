"""Guards to compare on the same rows, each behind the `Scorer` protocol, built from a spec string.

Specs: `keyword`, `profanity`, `llm-judge`, and `PROTOCOL:URL[#MODEL]` for an OpenAI-compatible
endpoint, e.g. `llamaguard:http://localhost:8000/v1#meta-llama/Llama-Guard-3-1B`.
"""

from __future__ import annotations

from collections.abc import Callable

from slmguard.errors import InvalidInputError
from slmguard.eval.compare.base import Prediction, Scorer, Unavailable
from slmguard.eval.compare.endpoint import PROTOCOLS, EndpointScorer
from slmguard.eval.compare.guard import GuardScorer
from slmguard.eval.compare.keyword import KeywordScorer
from slmguard.eval.compare.llm_judge import LlmJudgeScorer
from slmguard.eval.compare.profanity import ProfanityCheckScorer

__all__ = ["SCORERS", "GuardScorer", "Prediction", "Scorer", "Unavailable", "make_scorer"]

SCORERS: dict[str, Callable[[], Scorer]] = {
    "keyword": KeywordScorer,
    "profanity": ProfanityCheckScorer,
    "llm-judge": LlmJudgeScorer,
}


def make_scorer(spec: str) -> Scorer:
    """A scorer from its spec (see the module docstring).

    Raises:
        InvalidInputError: an unknown name or protocol, listing the valid ones.
    """
    if spec in SCORERS:
        return SCORERS[spec]()
    protocol, sep, rest = spec.partition(":")
    if sep and protocol in PROTOCOLS and rest.startswith(("http://", "https://")):
        url, _, model = rest.partition("#")
        return EndpointScorer(protocol, url, model=model)
    raise InvalidInputError(
        f"Unknown comparison {spec!r}. Valid: {', '.join(SCORERS)}, or PROTOCOL:URL[#MODEL] with PROTOCOL one of "
        f"{', '.join(PROTOCOLS)}."
    )
