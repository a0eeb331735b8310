"""The exception tree: every error slmguard raises on purpose derives from SlmguardError."""

from __future__ import annotations

from pathlib import Path


class SlmguardError(Exception):
    """Base class: front-ends map it to a 4xx response or exit code 2."""


class InvalidInputError(SlmguardError, ValueError):
    """A text, file row or argument that the guard cannot accept."""


class TaxonomyError(SlmguardError, ValueError):
    """An invalid taxonomy file; names the file, the key and the problem."""

    def __init__(self, path: str | Path | None, *, key: str, problem: str) -> None:
        self.path = str(path) if path is not None else "<taxonomy>"
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: '{key}' {problem}")


class ModelLoadError(SlmguardError, OSError):
    """A model directory that is missing, incomplete, corrupt or of an unknown format."""


class NotFittedError(SlmguardError, ValueError, AttributeError):
    """An estimator used before `fit`."""
