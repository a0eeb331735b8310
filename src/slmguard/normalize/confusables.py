"""Homoglyph and leetspeak folding, so 'Ьоmb' and 'b0mb' read as 'bomb'."""

from __future__ import annotations

import re

# Cyrillic and Greek letters that look like Latin ones.
_HOMOGLYPHS = str.maketrans(
    "аеорсуххіјѕԁɡһӏոԛԝьЬАВЕКМНОРСТХІЈЅαβεικνορτυχΑΒΕΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxxijsdghlnqwbbABEKMHOPCTXIJSabeiknoptuxABEHIKMNOPTYX",
)
_CONFUSABLE = set("аеорсуххіјѕԁɡһӏոԛԝьЬАВЕКМНОРСТХІЈЅαβεικνορτυχΑΒΕΗΙΚΜΝΟΡΤΥΧ")
_WORD = re.compile(r"\w+", re.UNICODE)
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l", "+": "t"}
# A leet character with a Latin letter on both sides ("k1ll", "h4x0r", "c@sh").
_LEET_INSIDE = re.compile(r"(?<=[A-Za-z])[013457@$!|+](?=[A-Za-z013457@$!|+]*[A-Za-z])")


def fold_confusables(text: str) -> str:
    """Map look-alike letters to Latin in words that are mixed-script or all look-alikes."""
    if text.isascii():
        return text

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        odd = sum(ch in _CONFUSABLE for ch in word)
        if odd == 0:
            return word
        latin = sum("a" <= ch.lower() <= "z" for ch in word)
        if latin or odd == len(word):
            return word.translate(_HOMOGLYPHS)
        return word

    return _WORD.sub(fix, text)


def unleet(text: str) -> str:
    """Replace digits and symbols used as letters inside Latin words; numbers stay numbers."""
    return _LEET_INSIDE.sub(lambda m: _LEET[m.group(0)], text)
