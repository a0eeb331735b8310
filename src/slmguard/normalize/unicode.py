"""Unicode clean-up: NFKC, invisible characters and stacked diacritics."""

from __future__ import annotations

import re
import unicodedata

# Zero-width, bidi controls, soft hyphen, word joiners, variation selectors, tag characters.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)
_SPACES = re.compile(r"[^\S\n]+")


def nfkc(text: str) -> str:
    """Fold compatibility forms (fullwidth, math letters, ligatures, circled letters)."""
    return unicodedata.normalize("NFKC", text)


def strip_invisible(text: str) -> str:
    """Drop characters that render as nothing but split words for a tokenizer."""
    return _INVISIBLE.sub("", text)


def strip_marks(text: str) -> str:
    """Remove combining marks (accents, 'zalgo' stacks) but keep Hangul syllables intact."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept)


def collapse_whitespace(text: str) -> str:
    """One space between words, no leading or trailing space."""
    return _SPACES.sub(" ", text).strip()
