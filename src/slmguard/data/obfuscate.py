"""Obfuscate a text the way users hide intent: leetspeak, spacing, zero-width, homoglyphs, split jamo.

Used to write data/obfuscated.jsonl and to test that normalisation undoes the tricks.
"""

from __future__ import annotations

import random
from collections.abc import Callable

_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
_HOMOGLYPH = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
_CHO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_JUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_JONG = ["", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"]


def leet(text: str, rng: random.Random) -> str:
    """Digits for letters inside words ('st3al'); word-initial and final digits stay ambiguous with numbers."""
    chars = list(text)
    for i in range(1, len(chars) - 1):
        if chars[i] in _LEET and chars[i - 1].isalpha() and chars[i + 1].isalpha() and rng.random() < 0.6:
            chars[i] = _LEET[chars[i]]
    return "".join(chars)


def spaced(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    words[longest] = " ".join(words[longest])
    return " ".join(words)


def zero_width(text: str, rng: random.Random) -> str:
    return "".join(c + ("\u200b" if rng.random() < 0.5 else "") for c in text)


def homoglyphs(text: str, rng: random.Random) -> str:
    return "".join(_HOMOGLYPH[c] if c in _HOMOGLYPH and rng.random() < 0.7 else c for c in text)


def split_jamo(text: str, rng: random.Random) -> str:
    """Write one word's syllables as separate jamo: 폭탄 -> ㅍㅗㄱㅌㅏㄴ."""
    words = text.split(" ")
    hangul = [i for i, w in enumerate(words) if any("가" <= c <= "힣" for c in w)]
    if not hangul:
        return text
    i = rng.choice(hangul)
    out = []
    for c in words[i]:
        if "가" <= c <= "힣":
            n = ord(c) - 0xAC00
            out.append(_CHO[n // 588] + _JUNG[(n % 588) // 28] + _JONG[n % 28])
        else:
            out.append(c)
    words[i] = "".join(out)
    return " ".join(words)


def fullwidth(text: str, rng: random.Random) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


OBFUSCATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "leet": leet,
    "spaced": spaced,
    "zero_width": zero_width,
    "homoglyphs": homoglyphs,
    "split_jamo": split_jamo,
    "fullwidth": fullwidth,
}
LATIN_ONLY = ("leet", "homoglyphs", "fullwidth")
"""Tricks that change only Latin letters; Korean texts get the others."""
