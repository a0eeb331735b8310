"""Shared fixtures: the shipped Guard is loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from slmguard import Guard
from slmguard.data.manifest import datasets_root

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def guard() -> Guard:
    return Guard.load()


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    root = datasets_root()
    if not (root / "MANIFEST.json").is_file():
        pytest.skip("../shared/datasets is not available")
    return root


TINY_TAXONOMY = """\
name: tiny
version: 1
categories:
  - code: weapons
    name: {en: Weapons, ko: 무기}
    tier: unsafe
    action: block
    threshold: 0.5
    description: Making weapons.
  - code: politics
    name: Politics
    tier: sensitive
    action: caution
    threshold: 0.5
    description: Contested political questions.
"""


@pytest.fixture
def tiny_taxonomy(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_TAXONOMY, encoding="utf-8")
    return path
