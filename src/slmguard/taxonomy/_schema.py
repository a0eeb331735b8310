"""Parse and validate a taxonomy YAML file; every problem raises TaxonomyError(path, key, problem)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from slmguard.errors import TaxonomyError

_TIERS = ("unsafe", "sensitive")
_ACTIONS = ("allow", "caution", "block")
_REQUIRED = ("code", "name", "tier", "action", "threshold", "description")


def parse_taxonomy(path: Path) -> dict[str, Any]:
    """Return the validated raw mapping (with defaults filled and the file text under `_text`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaxonomyError(path, key="<file>", problem="does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(path, key="<file>", problem=f"cannot be read: {exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(path, key="<file>", problem=f"is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise TaxonomyError(path, key="<root>", problem="must be a mapping with 'name' and 'categories'")

    def fail(key: str, problem: str) -> TaxonomyError:
        return TaxonomyError(path, key=key, problem=problem)

    name = raw.get("name", path.stem)
    if not isinstance(name, str) or not name:
        raise fail("name", f"must be a non-empty string, got {name!r}")
    version = raw.get("version", 1)
    if not isinstance(version, int):
        raise fail("version", f"must be an integer, got {version!r}")
    policy = dict(raw.get("policy") or {})
    for key in ("unsafe_threshold", "sensitive_threshold"):
        policy[key] = _probability(policy.get(key, 0.5), f"policy.{key}", fail)

    cats = raw.get("categories")
    if not isinstance(cats, list) or not cats:
        raise fail("categories", "must be a non-empty list of categories")
    seen: set[str] = set()
    out = []
    for i, c in enumerate(cats):
        where = f"categories[{i}]"
        if not isinstance(c, dict):
            raise fail(where, "must be a mapping")
        for key in _REQUIRED:
            if key not in c:
                raise fail(f"{where}.{key}", "is missing")
        code = c["code"]
        if not isinstance(code, str) or not code.replace("_", "").isalnum():
            raise fail(f"{where}.code", f"must be a short identifier (letters, digits, _), got {code!r}")
        if code in seen:
            raise fail(f"{where}.code", f"duplicates the code {code!r}")
        seen.add(code)
        names = c["name"]
        if isinstance(names, str):
            names = {"en": names, "ko": names}
        if not isinstance(names, dict) or not isinstance(names.get("en"), str):
            raise fail(f"{where}.name", "must be a string or a mapping with 'en' (and 'ko')")
        names.setdefault("ko", names["en"])
        if c["tier"] not in _TIERS:
            raise fail(f"{where}.tier", f"must be one of {', '.join(_TIERS)}, got {c['tier']!r}")
        if c["action"] not in _ACTIONS:
            raise fail(f"{where}.action", f"must be one of {', '.join(_ACTIONS)}, got {c['action']!r}")
        if c["tier"] == "sensitive" and c["action"] == "block":
            raise fail(
                f"{where}.action", "cannot be 'block' for a sensitive category (sensitive means answer carefully)"
            )
        examples = c.get("examples") or []
        if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
            raise fail(f"{where}.examples", "must be a list of strings")
        if not isinstance(c["description"], str):
            raise fail(f"{where}.description", "must be a string")
        threshold = _probability(c["threshold"], f"{where}.threshold", fail)
        override = c.get("overrides_tier_at")
        if override is not None:
            override = _probability(override, f"{where}.overrides_tier_at", fail)
            if override < threshold:
                problem = f"must be at least the threshold ({threshold}), got {override}"
                raise fail(f"{where}.overrides_tier_at", problem)
        out.append({**c, "name": names, "threshold": threshold, "overrides_tier_at": override, "examples": examples})
    return {"name": name, "version": version, "policy": policy, "categories": out, "_text": text}


def _probability(value: Any, key: str, fail: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise fail(key, f"must be a number in [0, 1], got {value!r}")
    return float(value)
