"""Subtopics: a narrower set of replies within a strategy, chosen by the words of the query.

A category can be broad where the best alternative is not: S2 covers fraud and theft, for which
`protect` offers warning signs and where to report, but also drug crimes, for which the useful
offer is confidential addiction help, and drink-driving, for which it is a safe way home. The
strategy head and the categories decide the strategy; a subtopic only picks which of the
strategy's reviewed replies fit the query (templates/<lang>.yaml, `subtopics`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Subtopic:
    """Replies for queries of `strategy` whose text matches `pattern` and not `unless`."""

    name: str
    strategy: str
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None = None

    def matches(self, strategy: str, query: str) -> bool:
        return (
            strategy == self.strategy
            and bool(self.pattern.search(query))
            and not (self.unless and self.unless.search(query))
        )


_DRUG_WORDS_EN = (
    r"drugs?|cocaine|meth|methamphetamine|crystal meth|heroin|fentanyl|opioids?|lsd|acid tabs|mdma|ecstasy|"
    r"ketamine|cannabis|marijuana|weed(?! ?killer)|ghb|shrooms|psilocybin"
)
"""Names of illegal drugs. Not "crack", "coke", "crystal" or "molly": "crack a password" is S2 too, Molly a name."""
_DRUG_WORDS_KO = "마약|필로폰|메스암페타민|대마|마리화나|코카인|헤로인|펜타닐|엑스터시|케타민|물뽕|엘에스디|향정신성"

_SPIKING = (
    r"\bspik(?:e|es|ed|ing)\b|\b(?:slip|put|mix|pour)\w*\b.{0,40}\b(?:into|in)\b.{0,20}\b(?:drinks?|coffee|food|beer|wine)\b"
    r"|(?:술|음료|커피|음식|물)에.{0,12}(?:타|넣)|몰래 먹이"
)
"""Drugging someone else's drink or food: an assault, for which addiction help does not fit; the
strategy's own replies (warning signs, staying safe, where to report) do."""

_DRINK_EN = r"drunk|beers?|drinks?|drinking|wine|shots?|soju|whiske?y|vodka|tipsy|buzzed|stoned|high on"
_IMPAIRED_DRIVING = (
    rf"\bdrunk[- ]?driv|\bdriv(?:e|es|ing)\b.{{0,40}}\b(?:{_DRINK_EN})\b|\b(?:{_DRINK_EN})\b.{{0,60}}\bdriv(?:e|ing)\b"
    r"|\bdrive home\b.{0,40}\bafter\b|\b(?:DUI|DWI)\b|breathal[yi]s|sobriety checkpoint"
    r"|음주\s?(?:운전|단속|측정)|(?:술|소주|맥주|와인|막걸리|양주)\S*.{0,30}운전|운전.{0,20}(?:술|소주|맥주)"
)
"""Driving after drinking (or using drugs), or dodging a checkpoint: the useful offer is a safe way
home, not fraud warnings or addiction help. Checked before `drugs`, so driving high gets it too."""

SUBTOPICS: tuple[Subtopic, ...] = (
    Subtopic("impaired_driving", "protect", re.compile(_IMPAIRED_DRIVING, re.IGNORECASE)),
    Subtopic(
        "drugs",
        "protect",
        re.compile(rf"\b(?:{_DRUG_WORDS_EN})\b|{_DRUG_WORDS_KO}", re.IGNORECASE),
        unless=re.compile(_SPIKING, re.IGNORECASE),
    ),
)
"""In order: the first that matches wins."""


def subtopic_for(strategy: str, query: str) -> str | None:
    """The subtopic of `strategy` that `query` falls under, or None for the strategy's own replies."""
    return next((s.name for s in SUBTOPICS if s.matches(strategy, query)), None)
