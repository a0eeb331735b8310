"""The taxonomy: harm categories as data (codes, names, tiers, actions, thresholds)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import yaml

from slmguard._validation import check_probability
from slmguard.taxonomy._schema import parse_taxonomy
from slmguard.verdict import Action, Label

__all__ = ["Category", "Taxonomy", "default_taxonomy_path", "load_taxonomy"]


@dataclass(frozen=True, slots=True)
class Category:
    """One harm category, as the taxonomy file defines it."""

    code: str
    name_en: str
    name_ko: str
    tier: Label
    action: Action
    threshold: float
    description: str
    examples: tuple[str, ...] = ()
    overrides_tier_at: float | None = None
    """At this probability the category puts a text in its tier even when the tier head does not
    (None: the tier head decides). The default taxonomy sets it for S11, so that a disclosure of
    self-harm the tier head calls safe still gets the crisis reply."""


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """An ordered set of categories plus the tier thresholds of the policy."""

    name: str
    version: int
    categories: tuple[Category, ...]
    unsafe_threshold: float = 0.5
    sensitive_threshold: float = 0.5
    source_text: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    def __getitem__(self, code: str) -> Category:
        for c in self.categories:
            if c.code == code:
                return c
        raise KeyError(code)

    def with_policy(self, *, unsafe_threshold: float, sensitive_threshold: float | None = None) -> Taxonomy:
        """The same categories with other tier thresholds (the file text is rewritten to match)."""
        unsafe = check_probability(unsafe_threshold, name="unsafe_threshold")
        sensitive = check_probability(
            self.sensitive_threshold if sensitive_threshold is None else sensitive_threshold, name="sensitive_threshold"
        )
        raw = yaml.safe_load(self.source_text)
        raw["policy"] = {**(raw.get("policy") or {}), "unsafe_threshold": unsafe, "sensitive_threshold": sensitive}
        text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=100)
        return replace(self, unsafe_threshold=unsafe, sensitive_threshold=sensitive, source_text=text)

    @property
    def sha256(self) -> str:
        """Hash of the file text: a saved model records it to detect a mismatched taxonomy."""
        return hashlib.sha256(self.source_text.encode("utf-8")).hexdigest()


def default_taxonomy_path() -> Path:
    """Path of the taxonomy file shipped inside the package."""
    return Path(str(resources.files("slmguard.taxonomy") / "default.yaml"))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy YAML file (the shipped default when `path` is None).

    Raises:
        TaxonomyError: naming the file, the key and the problem.
    """
    path = Path(path) if path is not None else default_taxonomy_path()
    raw = parse_taxonomy(path)
    cats = tuple(
        Category(
            code=c["code"],
            name_en=c["name"]["en"],
            name_ko=c["name"]["ko"],
            tier=Label(c["tier"]),
            action=Action(c["action"]),
            threshold=c["threshold"],
            description=c["description"],
            examples=tuple(c["examples"]),
            overrides_tier_at=c.get("overrides_tier_at"),
        )
        for c in raw["categories"]
    )
    policy = raw["policy"]
    return Taxonomy(
        name=raw["name"],
        version=raw["version"],
        categories=cats,
        unsafe_threshold=policy["unsafe_threshold"],
        sensitive_threshold=policy["sensitive_threshold"],
        source_text=raw["_text"],
    )
