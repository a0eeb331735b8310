"""Language of a text from its script: 'ko', 'en' or 'other'."""

from __future__ import annotations


def detect_lang(text: str) -> str:
    """'ko' when Hangul makes up at least a fifth of the letters, 'en' when Latin dominates."""
    hangul = latin = other = 0
    for ch in text:
        if "가" <= ch <= "힣" or "ㄱ" <= ch <= "ㅣ":
            hangul += 1
        elif ch.isascii():
            latin += ch.isalpha()
        elif ch.isalpha():
            other += 1
    letters = hangul + latin + other
    if letters == 0:
        return "en"
    if hangul / letters >= 0.2:
        return "ko"
    if latin / letters >= 0.5:
        return "en"
    return "other"
