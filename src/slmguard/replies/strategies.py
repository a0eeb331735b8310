"""Reply strategies: one small class per way of answering a blocked or cautioned query.

A strategy names the categories it fits; the strategy head of the model picks one per query,
and the reply bank (templates/<lang>.yaml) holds the reviewed wording of each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from slmguard.verdict import Label

NONE = "none"
"""The strategy head's class for a safe query: no safeguard reply."""


class Strategy:
    """How to answer: `codes` it fits, and whether the reply declines the request."""

    name: ClassVar[str]
    codes: ClassVar[tuple[str, ...]] = ()
    refuses: ClassVar[bool] = True
    """True when the reply declines (a refusal or partial refusal, to the response judge)."""

    def topic_code(self, flagged: Sequence[str]) -> str:
        """The category whose topic phrase fills `{topic}`: the first flagged one this strategy fits.

        When none fits (the head chose a strategy the flagged categories do not name), the neutral
        default topic is used rather than another strategy's topic.
        """
        return next((c for c in flagged if c in self.codes), "default")


class Decline(Strategy):
    """Decline briefly, name the area at a high level, offer a safe related angle."""

    name = "decline"
    codes = ("S1", "S3", "S4", "S5", "S9", "S12", "S14")


class Protect(Strategy):
    """Fraud and other crimes: decline, then offer how to recognise and protect oneself from it."""

    name = "protect"
    codes = ("S2",)


class Professional(Strategy):
    """Specialised advice: no specific instructions; what a professional would check."""

    name = "professional"
    codes = ("S6",)


class Privacy(Strategy):
    """Protect the third party and explain the safe, lawful route."""

    name = "privacy"
    codes = ("S7",)


class Summarise(Strategy):
    """Intellectual property: a summary or discussion instead of the full text."""

    name = "summarise"
    codes = ("S8",)


class Respect(Strategy):
    """Hate: no demeaning content; offer a respectful discussion."""

    name = "respect"
    codes = ("S10",)


class Crisis(Strategy):
    """Self-harm: supportive, non-judgemental, crisis lines for the locale, an invitation to talk."""

    name = "crisis"
    codes = ("S11",)


class Civic(Strategy):
    """Elections: no misleading content; point to neutral process information and the authority."""

    name = "civic"
    codes = ("S13",)


class NameAttack(Strategy):
    """Prompt attacks: name the attempt calmly and offer help with the legitimate need."""

    name = "attack"
    codes = ("prompt_attack",)


class Deescalate(Strategy):
    """Toxicity: do not answer in kind; lower the temperature and offer help."""

    name = "deescalate"
    codes = ("toxicity",)


class Balanced(Strategy):
    """Sensitive topics: not a refusal, but the frame of a balanced answer without personal opinion."""

    name = "balanced"
    codes = ("sensitive",)
    refuses = False


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Crisis(), Decline(), NameAttack(), Privacy(), Protect(), Respect(), Civic(), Professional(), Summarise(),
        Deescalate(), Balanced(),
    )
}  # fmt: skip
"""The registry, in priority order: when a query fits several strategies, the first one wins
(self-harm before anything else, the most severe harms before the milder ones)."""

CATEGORY_STRATEGY: dict[str, str] = {code: s.name for s in STRATEGIES.values() for code in s.codes}
"""Taxonomy code -> strategy name. Codes of a user taxonomy that are not here get `decline`
(unsafe tier) or `balanced` (sensitive tier)."""

STRATEGY_CLASSES: tuple[str, ...] = (NONE, *STRATEGIES)
"""The strategy head's classes, in column order."""


def get_strategy(name: str) -> Strategy:
    """The strategy called `name`; the error lists the valid names."""
    from slmguard.errors import InvalidInputError

    try:
        return STRATEGIES[name]
    except KeyError:
        raise InvalidInputError(f"Unknown reply strategy {name!r}. Valid: {', '.join(sorted(STRATEGIES))}.") from None


def strategy_for(label: str, codes: Sequence[str]) -> str:
    """The strategy that fits a tier and its categories: the gold target of the strategy head.

    A safe text needs no reply; a sensitive one gets `balanced` whatever its categories.
    """
    if label == Label.SAFE:
        return NONE
    if label == Label.SENSITIVE:
        return Balanced.name
    fits = fitting_strategies(codes)
    return next((name for name in STRATEGIES if name in fits), Decline.name)


def fitting_strategies(codes: Sequence[str]) -> set[str]:
    """The strategies of harm categories (`decline` for a code the map lacks; `sensitive` has none)."""
    return {CATEGORY_STRATEGY.get(c, Decline.name) for c in codes if c != "sensitive"}


def strategy_fits(strategy: str, gold: Sequence[str]) -> bool:
    """Whether a reply's strategy fits a text's gold categories: one of theirs, or their gold strategy.
    The benchmarks' rule (benchmarks/replies.py and strategy_dev.py)."""
    return strategy in {CATEGORY_STRATEGY.get(c) for c in gold} or strategy == strategy_for(Label.UNSAFE, gold)


SENSITIVE_OVERRIDE = 0.5
"""A sensitive verdict gets a refusing strategy only when the strategy head gives it at least this."""


def choose_strategy(label: str, flagged: Sequence[str], probs: Mapping[str, float] | None) -> str:
    """The strategy for a verdict that needs a reply.

    Sensitive verdicts get `balanced` (the tier never refuses), unless the strategy head is confident
    (SENSITIVE_OVERRIDE) that a refusing strategy fits: then the query is a harmful request the
    tier head mistook for a contested question ("Should I burn down their house?"). For unsafe verdicts the
    strategy head decides among the refusing strategies that fit the flagged categories, so the
    reply never speaks of another harm than the verdict names (on dev this fitted the gold
    categories more often than the head's choice among all strategies: BENCHMARKS.md, "Replies
    that fit the flagged categories"); a flagged self-harm category always gets `crisis`, so
    nobody at risk receives a plain refusal. Without a strategy head (a model trained before it
    existed) the flagged categories decide through CATEGORY_STRATEGY.
    """
    if label == Label.SENSITIVE:
        if probs and max(probs, key=lambda k: probs[k] if k != NONE else -1.0) != Balanced.name:
            top = max((k for k in probs if k in STRATEGIES), key=lambda k: probs[k])
            if probs[top] >= SENSITIVE_OVERRIDE:
                return top  # a harmful request the tier head took for a contested question
        return Balanced.name
    if "S11" in flagged:
        return Crisis.name
    if probs:
        fitting = fitting_strategies(flagged)
        candidates = {k: v for k, v in probs.items() if k in STRATEGIES and STRATEGIES[k].refuses}
        candidates = {k: v for k, v in candidates.items() if k in fitting} or candidates
        if candidates:
            return max(candidates, key=lambda k: candidates[k])
    return strategy_for(Label.UNSAFE, flagged)
