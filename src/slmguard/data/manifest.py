"""The shared datasets' MANIFEST.json: which split has which role and licence class."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slmguard.errors import InvalidInputError

SHIPPABLE_LICENCES = ("permissive", "sharealike", "unverified")
"""Licence classes the shipped model may be trained on."""


def datasets_root() -> Path:
    """`$SLMGUARD_DATASETS`, else `../shared/datasets` from the working directory or the repo."""
    env = os.environ.get("SLMGUARD_DATASETS")
    if env:
        return Path(env)
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = base.parent / "shared" / "datasets"
        if (candidate / "MANIFEST.json").is_file():
            return candidate
    return Path.cwd().parent / "shared" / "datasets"


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """One MANIFEST entry."""

    name: str
    licence: str
    licence_class: str
    label_semantics: str
    langs: tuple[str, ...]
    splits: dict[str, str]  # source_split -> role

    def splits_with_role(self, role: str) -> list[str]:
        return [s for s, r in self.splits.items() if r == role]


class Manifest:
    """Read access to MANIFEST.json and the data files it describes."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else datasets_root()
        path = self.root / "MANIFEST.json"
        if not path.is_file():
            raise InvalidInputError(
                f"No MANIFEST.json under '{self.root}'. Set SLMGUARD_DATASETS to the shared datasets folder."
            )
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self.datasets = {
            name: DatasetInfo(
                name=name,
                licence=d["licence"],
                licence_class=d["licence_class"],
                label_semantics=d["label_semantics"],
                langs=tuple(d["lang"]),
                splits=dict(d["splits"]),
            )
            for name, d in raw["datasets"].items()
        }

    def __getitem__(self, name: str) -> DatasetInfo:
        try:
            return self.datasets[name]
        except KeyError:
            raise InvalidInputError(
                f"Unknown dataset {name!r}. Available: {', '.join(sorted(self.datasets))}."
            ) from None

    def rows(self, name: str, *, role: str | None = None, responses: bool = False) -> Iterator[dict[str, Any]]:
        """Raw rows of dataset `name`, only from splits with `role` when given."""
        info = self[name]
        keep = set(info.splits_with_role(role)) if role else set(info.splits)
        path = self.root / name / ("data_responses.jsonl" if responses else "data.jsonl")
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row.get("source_split") in keep:
                    yield row
