"""The reply bank: reviewed reply templates per strategy and language (templates/<lang>.yaml)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from slmguard.errors import ModelLoadError
from slmguard.normalize.hangul import has_batchim
from slmguard.replies.strategies import STRATEGIES, get_strategy
from slmguard.replies.subtopics import SUBTOPICS, subtopic_for

LANGUAGES = ("en", "ko")
"""Languages with a reply bank; any other query language gets the English reply."""


@dataclass(frozen=True, slots=True)
class Bank:
    """One language's templates: `strategies[name]` and `subtopics[name]` are lists of variants,
    `topics[code]` a phrase."""

    lang: str
    topics: dict[str, str]
    strategies: dict[str, tuple[str, ...]]
    subtopics: dict[str, tuple[str, ...]]


@cache
def load_bank(lang: str) -> Bank:
    """The shipped bank for `lang` (read once).

    Raises:
        ModelLoadError: the file is missing, or a strategy or subtopic has no template.
    """
    name = f"{lang}.yaml"
    try:
        raw = yaml.safe_load((resources.files("slmguard.replies") / "templates" / name).read_text(encoding="utf-8"))
    except (FileNotFoundError, yaml.YAMLError) as exc:
        raise ModelLoadError(f"Cannot read the reply templates 'slmguard/replies/templates/{name}': {exc}") from exc
    strategies, subtopics = _variants(raw["strategies"]), _variants(raw.get("subtopics") or {})
    missing = [s for s in STRATEGIES if not strategies.get(s)] + [
        s.name for s in SUBTOPICS if not subtopics.get(s.name)
    ]
    if missing:
        raise ModelLoadError(f"'templates/{name}' has no template for {', '.join(missing)}.")
    return Bank(lang=lang, topics=dict(raw["topics"]), strategies=strategies, subtopics=subtopics)


def _variants(section: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """A YAML section's variant lists, each variant on one line (folded YAML keeps no layout worth keeping)."""
    return {name: tuple(" ".join(v.split()) for v in texts) for name, texts in section.items()}


def reply_lang(query_lang: str) -> str:
    """The language of the reply: the query's when a bank exists for it, else English."""
    return query_lang if query_lang in LANGUAGES else "en"


def realise(
    strategy: str, *, lang: str, flagged: tuple[str, ...] = (), query: str = "", variant: int | None = None
) -> str:
    """The text of one template of `strategy` in `lang`, with its topic slot filled.

    Args:
        strategy: a name in STRATEGIES.
        lang: the reply language ('en' or 'ko'; others fall back to English).
        flagged: the verdict's flagged codes, which choose the topic phrase.
        query: the query; it picks the variant, so that a query always gets the same reply, and
            the subtopic (`subtopics.py`), whose replies replace the strategy's own.
        variant: an explicit variant index instead (modulo the number of variants).
    """
    bank = load_bank(reply_lang(lang))
    templates = _templates(strategy, bank, query)
    if variant is None:
        variant = int.from_bytes(hashlib.blake2b(query.encode("utf-8"), digest_size=4).digest(), "big")
    template = templates[variant % len(templates)]
    topic = bank.topics.get(STRATEGIES[strategy].topic_code(flagged), bank.topics["default"])
    return template.format(**_topic_slots(topic))


def variants(strategy: str, *, lang: str, flagged: tuple[str, ...] = (), query: str = "") -> list[str]:
    """Every template of `strategy` in `lang` for `query`, filled: the candidates for best-of-N."""
    n = len(_templates(strategy, load_bank(reply_lang(lang)), query))
    return [realise(strategy, lang=lang, flagged=flagged, query=query, variant=i) for i in range(n)]


def _templates(strategy: str, bank: Bank, query: str) -> tuple[str, ...]:
    """The variants for `strategy`: those of the query's subtopic when it has one."""
    sub = subtopic_for(get_strategy(strategy).name, query)
    return bank.subtopics[sub] if sub else bank.strategies[strategy]


def _topic_slots(topic: str) -> dict[str, str]:
    """`{topic}` plus the Korean forms with a particle that depends on the last syllable's final consonant."""
    batchim = has_batchim(topic)
    return {
        "topic": topic,
        "topic_gwa": topic + ("과" if batchim else "와"),
        "topic_eun": topic + ("은" if batchim else "는"),
        "topic_eul": topic + ("을" if batchim else "를"),
        "topic_ira": topic + ("이라" if batchim else "라"),
    }
