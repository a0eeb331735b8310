"""Spaced-out letters ('k i l l', '폭 탄') and stretched words ('kiiiill')."""

from __future__ import annotations

import re

# Three or more single letters or Hangul syllables split by one separator: "b o m b", "k.i.l.l", "폭 탄 제 조".
_SPACED = re.compile(r"(?<!\w)(?:[^\W\d_][ .\-_*·/]){2,}[^\W\d_](?!\w)")
# A symbol wedged between two Hangul syllables: "시.발", "폭*탄".
_HANGUL_WEDGE = re.compile(r"(?<=[가-힣])[.\-_*·~^/]+(?=[가-힣])")
_LETTER_RUN = re.compile(r"([A-Za-z])\1{2,}")
_OTHER_RUN = re.compile(r"([^\w\s]|[ㄱ-ㅎㅏ-ㅣ])\1{2,}")


def join_spaced(text: str) -> str:
    """Join runs of single characters separated by spaces or punctuation into one word."""
    text = _SPACED.sub(lambda m: re.sub(r"[ .\-_*·/]", "", m.group(0)), text)
    return _HANGUL_WEDGE.sub("", text)


def squeeze_repeats(text: str) -> str:
    """'kiiiill' -> 'kill'; '!!!!!' and 'ㅋㅋㅋㅋ' -> two of them."""
    text = _LETTER_RUN.sub(r"\1", text)
    return _OTHER_RUN.sub(r"\1\1", text)
