"""Normalised-text keys that keep every test row out of training and dev data."""

from __future__ import annotations

import hashlib
import re

from slmguard.data.manifest import Manifest

_WS = re.compile(r"\s+")


def text_key(text: str) -> str:
    """Case- and whitespace-insensitive hash of a text."""
    return hashlib.blake2b(_WS.sub(" ", text).strip().lower().encode("utf-8"), digest_size=12).hexdigest()


def held_out_keys(manifest: Manifest) -> set[str]:
    """Keys of every row in every split whose role is `test` (prompts and responses' prompts)."""
    keys: set[str] = set()
    for name, info in manifest.datasets.items():
        if not info.splits_with_role("test"):
            continue
        for row in manifest.rows(name, role="test"):
            keys.add(text_key(row["text"]))
    return keys
