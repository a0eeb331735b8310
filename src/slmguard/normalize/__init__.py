"""Text normalisation before the encoder, so that obfuscation does not hide intent.

`normalize(text)` applies the ordered, pure `str -> str` steps in STEPS.
"""

from __future__ import annotations

from collections.abc import Callable

from slmguard.normalize.confusables import fold_confusables, unleet
from slmguard.normalize.hangul import compat_jamo, expand_choseong, recompose_jamo
from slmguard.normalize.lang import detect_lang
from slmguard.normalize.spacing import join_spaced, squeeze_repeats
from slmguard.normalize.unicode import collapse_whitespace, nfkc, strip_invisible, strip_marks

__all__ = ["STEPS", "detect_lang", "normalize"]

STEPS: tuple[Callable[[str], str], ...] = (
    recompose_jamo,
    nfkc,
    compat_jamo,
    strip_invisible,
    strip_marks,
    fold_confusables,
    unleet,
    expand_choseong,
    join_spaced,
    squeeze_repeats,
    collapse_whitespace,
)


def normalize(text: str) -> str:
    """Run every step of STEPS in order."""
    for step in STEPS:
        text = step(text)
    return text
