"""Every input rule in one place, with messages that name the field and the value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slmguard.errors import InvalidInputError

if TYPE_CHECKING:
    from slmguard.taxonomy import Taxonomy

MAX_CHARS = 4096
"""Characters the encoder sees; longer texts are cut and marked `truncated`."""


def check_text(text: Any, *, name: str = "text") -> str:
    """Return `text` if it is a non-empty string, else raise InvalidInputError."""
    if not isinstance(text, str):
        raise InvalidInputError(f"The '{name}' must be a string. Got {type(text).__name__} instead.")
    if not text.strip():
        raise InvalidInputError(f"The '{name}' is empty or whitespace only; there is nothing to check.")
    return text


def check_texts(texts: Any, *, name: str = "texts") -> list[str]:
    """Validate a sequence of texts; the message names the first bad index."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise InvalidInputError(f"The '{name}' must be a list of strings. Got {type(texts).__name__} instead.")
    return [check_text(t, name=f"{name}[{i}]") for i, t in enumerate(texts)]


def check_probability(value: Any, *, name: str) -> float:
    """Return `value` as a float in [0, 1], else raise InvalidInputError."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise InvalidInputError(f"The '{name}' must be a float in [0, 1]. Got {value!r} instead.")
    return float(value)


def check_category(code: str, taxonomy: Taxonomy) -> str:
    """Return `code` if the taxonomy defines it; the error lists the valid codes."""
    if code not in taxonomy.codes:
        raise InvalidInputError(
            f"Unknown category {code!r} for taxonomy '{taxonomy.name}'. Valid codes: {', '.join(taxonomy.codes)}."
        )
    return code
