"""slmguard: a small CPU model that detects harmful and sensitive queries under a taxonomy."""

from __future__ import annotations

__version__ = "0.1.0"

from slmguard.errors import (
    InvalidInputError,
    ModelLoadError,
    NotFittedError,
    SlmguardError,
    TaxonomyError,
)
from slmguard.guard import Guard
from slmguard.taxonomy import Category, Taxonomy, load_taxonomy
from slmguard.verdict import Action, Label, Verdict

__all__ = [
    "Action",
    "Category",
    "Guard",
    "InvalidInputError",
    "Label",
    "ModelLoadError",
    "NotFittedError",
    "SlmguardError",
    "Taxonomy",
    "TaxonomyError",
    "Verdict",
    "__version__",
    "load_taxonomy",
]
