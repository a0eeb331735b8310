"""Apply the versioned mapping (mapping.yaml) from a shared dataset's labels to taxonomy terms."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from slmguard.data.example import Example
from slmguard.errors import InvalidInputError

MAPPING_FILE = "mapping.yaml"


@lru_cache(maxsize=1)
def load_mapping() -> dict[str, Any]:
    """The packaged mapping: {'version': int, 'datasets': {name: rule}}."""
    text = (resources.files("slmguard.data") / MAPPING_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def mapping_version() -> int:
    return int(load_mapping()["version"])


def to_example(name: str, row: dict[str, Any]) -> Example | None:
    """Map one raw shared-dataset row to an Example; None for rows without a usable label."""
    rules = load_mapping()["datasets"]
    if name not in rules:
        raise InvalidInputError(f"Dataset {name!r} has no entry in {MAPPING_FILE}; add one before training on it.")
    rule = rules[name]
    label = row.get("label")
    relabel = (rule.get("relabel") or {}).get(row.get("id"))
    if relabel:
        return Example(row["text"], "unsafe", (relabel,), row.get("lang", "en"), name, row.get("id", ""))
    if label == "safe":
        return Example(row["text"], "safe", (), row.get("lang", "en"), name, row.get("id", ""))
    if label != "unsafe":
        return None
    if set(row.get("categories") or ()) & set(rule.get("skip") or ()):
        return None
    tier = rule.get("unsafe_as", "unsafe")
    cats_map: dict[str, list[str]] = rule.get("categories") or {}
    codes: set[str] = set()
    matched = False
    for cat in row.get("categories") or []:
        if cat in cats_map:
            matched = True
            codes.update(cats_map[cat])
    if matched and not codes:  # mapped explicitly to nothing: a safe row in an unsafe-labelled split
        return Example(row["text"], "safe", (), row.get("lang", "en"), name, row.get("id", ""))
    if not matched:
        default = rule.get("default")
        categories = tuple(default) if default is not None else None
    else:
        categories = tuple(sorted(codes))
    return Example(row["text"], tier, categories, row.get("lang", "en"), name, row.get("id", ""))
