"""Safeguard replies: what the service shows instead of the big model's answer.

`reply(verdict, text)` realises the verdict's strategy from the reviewed reply bank, in the
query's language (Korean or English; anything else gets English). The strategy itself comes
from the model's strategy head (see `Guard.check`), or from the flagged categories.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from slmguard.errors import InvalidInputError
from slmguard.replies.bank import LANGUAGES, load_bank, realise, reply_lang, variants
from slmguard.replies.strategies import (
    CATEGORY_STRATEGY,
    NONE,
    STRATEGIES,
    STRATEGY_CLASSES,
    Strategy,
    choose_strategy,
    get_strategy,
    strategy_fits,
    strategy_for,
)
from slmguard.verdict import Action, Verdict

__all__ = [
    "CATEGORY_STRATEGY",
    "LANGUAGES",
    "NONE",
    "STRATEGIES",
    "STRATEGY_CLASSES",
    "Reply",
    "Strategy",
    "choose_strategy",
    "get_strategy",
    "load_bank",
    "realise",
    "reply",
    "reply_lang",
    "strategy_fits",
    "strategy_for",
    "variants",
]


@dataclass(frozen=True, slots=True)
class Reply:
    """A safeguard reply: its text, the strategy, its language and where it came from.

    `source` is 'template' (the reply bank) or 'rewrite' (an LLM rewrite that passed the re-check);
    `note` says why a rewrite was not used, when one was tried.
    """

    text: str
    strategy: str
    lang: str
    query_lang: str
    source: str = "template"
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def reply(verdict: Verdict, text: str) -> Reply:
    """The template reply for `verdict` (a `block` or `caution` verdict on `text`).

    Uses the verdict's own strategy when the Guard set one, else the flagged categories.

    Raises:
        InvalidInputError: the verdict allows the text (there is nothing to reply instead).
    """
    if verdict.action == Action.ALLOW:
        raise InvalidInputError("This verdict allows the text: a safeguard reply is only for block and caution.")
    strategy = verdict.reply_strategy or choose_strategy(verdict.label, verdict.flagged, None)
    lang = reply_lang(verdict.lang)
    return Reply(
        text=realise(strategy, lang=lang, flagged=verdict.flagged, query=text),
        strategy=strategy,
        lang=lang,
        query_lang=verdict.lang,
    )
