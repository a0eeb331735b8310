"""Language of a text from its script: 'ko', 'en' or 'other'."""

from __future__ import annotations

LETTERS_PER_SYLLABLE = 2.5
"""A Hangul syllable block spells two or three letters (jamo)."""
EDGE_LETTERS = 10
"""A text opens or closes in Korean when most of its first or last this-many letters are Hangul."""


def _is_hangul(ch: str) -> bool:
    return "가" <= ch <= "힣" or "ㄱ" <= ch <= "ㅣ"


def detect_lang(text: str) -> str:
    """'ko' when Hangul makes up at least a fifth of the letters, 'en' when Latin dominates.

    A text that opens or closes in Korean (where a Korean request puts its instruction, or its
    verb) counts each syllable block as the letters it spells. So a Korean request around a long
    Latin-script payload ("이메일을 기반으로 액션 항목 만들기: Para la próxima auditoría...") or
    full of English terms ("Python에서 list comprehension ... 설명해줘") is Korean, and is answered
    in Korean, while an English text that quotes a Korean word stays English.
    """
    hangul = latin = other = 0
    edges: list[bool] = []  # for each letter: is it Hangul?
    for ch in text:
        if _is_hangul(ch):
            hangul += 1
        elif ch.isascii():
            latin += ch.isalpha()
        elif ch.isalpha():
            other += 1
        if ch.isalpha():
            edges.append(_is_hangul(ch))
            if len(edges) > 2 * EDGE_LETTERS:  # keep the first and the latest EDGE_LETTERS
                del edges[EDGE_LETTERS]
    letters = hangul + latin + other
    if letters == 0:
        return "en"
    opening, closing = edges[:EDGE_LETTERS], edges[-EDGE_LETTERS:]
    if sum(opening) * 2 > len(opening) or sum(closing) * 2 > len(closing):
        hangul_letters = hangul * LETTERS_PER_SYLLABLE
        share = hangul_letters / (hangul_letters + latin + other)
    else:
        share = hangul / letters
    if share >= 0.2:
        return "ko"
    if latin / letters >= 0.5:
        return "en"
    return "other"
