"""A keyword/regex baseline (English and Korean): what a word list alone catches, for comparison."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import yaml

from slmguard.eval.compare.base import Prediction, Unavailable
from slmguard.normalize import normalize


@lru_cache(maxsize=1)
def keyword_patterns() -> tuple[re.Pattern[str], ...]:
    """The packaged patterns (keywords.yaml), compiled once."""
    raw = yaml.safe_load((resources.files("slmguard.eval.compare") / "keywords.yaml").read_text(encoding="utf-8"))
    return tuple(re.compile(p, re.IGNORECASE) for lang in ("en", "ko") for p in raw[lang])


class KeywordScorer:
    """Unsafe when any pattern matches the normalised text; score 1 - 0.5**matches."""

    name = "keyword-baseline"
    kind = "baseline"

    def score(self, texts: Sequence[str]) -> list[Prediction]:
        patterns = keyword_patterns()
        out = []
        for text in texts:
            norm = normalize(text)
            hits = sum(1 for p in patterns if p.search(norm))
            out.append(Prediction("unsafe" if hits else "safe", 1.0 - 0.5**hits))
        return out

    def score_responses(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Prediction]:
        raise Unavailable("the keyword baseline classifies prompts only")
