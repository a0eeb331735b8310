"""Which tier/category combinations a label may have, from the taxonomy's tiers and actions.

The same `LabelRules` serves the API (server-side refusal with a message) and the front end
(which receives `to_dict()` and disables what is not allowed), so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slmguard import InvalidInputError, Taxonomy

TIERS = ("safe", "sensitive", "unsafe")


@dataclass(frozen=True, slots=True)
class LabelRules:
    """Allowed categories per tier.

    - `safe` carries no category.
    - `unsafe` needs at least one unsafe-tier category, and only those.
    - `sensitive` needs at least one category; sensitive-tier ones, plus unsafe-tier ones whose
      action is not `block` (e.g. specialised advice), and block ones only when the policy says
      `sensitive_may_block`.
    """

    taxonomy: Taxonomy
    sensitive_may_block: bool = False

    def allowed(self, tier: str) -> tuple[str, ...]:
        """Category codes a label of `tier` may carry."""
        cats = self.taxonomy.categories
        if tier == "safe":
            return ()
        if tier == "unsafe":
            return tuple(c.code for c in cats if c.tier == "unsafe")
        return tuple(c.code for c in cats if c.tier == "sensitive" or c.action != "block" or self.sensitive_may_block)

    def reason(self, tier: str, code: str) -> str:
        """Why `code` is not allowed with `tier` (the message the UI and the API show)."""
        cat = self.taxonomy[code]
        if tier == "safe":
            return f"A safe label carries no category; {code} ({cat.name_en}) is a harm category."
        if tier == "unsafe":
            return f"{code} ({cat.name_en}) is a sensitive-tier category; an unsafe label needs unsafe categories."
        return (
            f"{code} ({cat.name_en}) is a block category; a sensitive label cannot carry it "
            "(label the text unsafe, or set sensitive_may_block in the policy)."
        )

    def check(self, tier: Any, categories: Any) -> tuple[str, tuple[str, ...]]:
        """Validate a label and return it normalised (categories in taxonomy order).

        Raises:
            InvalidInputError: unknown tier or category, or an inapt combination; the message says which.
        """
        if tier not in TIERS:
            raise InvalidInputError(f"The 'tier' must be one of {', '.join(TIERS)}. Got {tier!r} instead.")
        if not isinstance(categories, Sequence) or isinstance(categories, str):
            raise InvalidInputError("The 'categories' must be a list of category codes.")
        codes = self.taxonomy.codes
        for code in categories:
            if code not in codes:
                raise InvalidInputError(
                    f"Unknown category {code!r}: taxonomy '{self.taxonomy.name}' has {', '.join(codes)}."
                )
        allowed = self.allowed(tier)
        for code in categories:
            if code not in allowed:
                raise InvalidInputError(self.reason(tier, code))
        if tier != "safe" and not categories:
            raise InvalidInputError(f"A {tier} label needs at least one category: which of {', '.join(allowed)}?")
        return tier, tuple(c for c in codes if c in set(categories))

    def to_dict(self) -> dict[str, Any]:
        """The rules and the taxonomy as the front end needs them (definitions shown inline)."""
        return {
            "tiers": list(TIERS),
            "allowed": {t: list(self.allowed(t)) for t in TIERS},
            "reasons": {
                t: {c: self.reason(t, c) for c in self.taxonomy.codes if c not in self.allowed(t)} for t in TIERS
            },
            "categories": [
                {
                    "code": c.code,
                    "name": c.name_en,
                    "name_ko": c.name_ko,
                    "tier": str(c.tier),
                    "action": str(c.action),
                    "description": c.description,
                    "examples": list(c.examples),
                }
                for c in self.taxonomy.categories
            ],
        }
