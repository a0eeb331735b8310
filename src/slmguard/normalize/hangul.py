"""Hangul helpers: undoing Korean obfuscation (split jamo 'ㅍㅗㄱㅌㅏㄴ', 초성 abbreviations 'ㅅㅂ'),
and the final-consonant (받침) test that Korean particles depend on."""

from __future__ import annotations

import re

_CHO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_JUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_JONG = ["", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"]
_VOWEL_PAIRS = {("ㅗ", "ㅏ"): "ㅘ", ("ㅗ", "ㅐ"): "ㅙ", ("ㅗ", "ㅣ"): "ㅚ", ("ㅜ", "ㅓ"): "ㅝ",
                ("ㅜ", "ㅔ"): "ㅞ", ("ㅜ", "ㅣ"): "ㅟ", ("ㅡ", "ㅣ"): "ㅢ"}  # fmt: skip
_JONG_PAIRS = {("ㄱ", "ㅅ"): "ㄳ", ("ㄴ", "ㅈ"): "ㄵ", ("ㄴ", "ㅎ"): "ㄶ", ("ㄹ", "ㄱ"): "ㄺ", ("ㄹ", "ㅁ"): "ㄻ",
               ("ㄹ", "ㅂ"): "ㄼ", ("ㄹ", "ㅅ"): "ㄽ", ("ㄹ", "ㅌ"): "ㄾ", ("ㄹ", "ㅍ"): "ㄿ", ("ㄹ", "ㅎ"): "ㅀ",
               ("ㅂ", "ㅅ"): "ㅄ"}  # fmt: skip
# Conjoining jamo (what NFKC turns compatibility jamo into) back to compatibility jamo.
_CONJOINING = str.maketrans(
    "".join(chr(c) for c in range(0x1100, 0x1113)) + "".join(chr(c) for c in range(0x1161, 0x1176)),
    _CHO + _JUNG,
)
_JAMO_RUN = re.compile(r"[ㄱ-ㅣ]{2,}")
# Well-known 초성 abbreviations whose meaning matters for safety (profanity, drugs, self-harm).
CHOSEONG_WORDS = {
    "ㅅㅂ": "시발", "ㅆㅂ": "씨발", "ㅄ": "병신", "ㅂㅅ": "병신", "ㅈㄹ": "지랄", "ㅁㅊ": "미친",
    "ㄲㅈ": "꺼져", "ㄷㅊ": "닥쳐", "ㅈㄴ": "존나", "ㅈㄹㄴ": "지랄하네", "ㅍㄹㅍ": "필로폰",
    "ㄷㅁ": "대마", "ㅁㄷ": "마약", "ㅈㅅ": "자살", "ㅈㅎ": "자해", "ㅅㅍ": "섹파",
}  # fmt: skip
_CHOSEONG = re.compile(r"(?<![ㄱ-ㅣ])(" + "|".join(sorted(CHOSEONG_WORDS, key=len, reverse=True)) + r")(?![ㄱ-ㅣ])")


def has_batchim(word: str) -> bool:
    """Whether `word` ends in a syllable with a final consonant, so it takes 이/을/은/과 rather than 가/를/는/와.

    A word that does not end in a Hangul syllable (a Latin drug name, a number) counts as ending in a
    vowel sound.
    """
    last = word[-1] if word else ""
    return "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0


def _syllable(cho: str, jung: str, jong: str = "") -> str:
    return chr(0xAC00 + (_CHO.index(cho) * 21 + _JUNG.index(jung)) * 28 + _JONG.index(jong))


def _compose(run: str) -> str:
    """Compose a run of compatibility jamo into syllables; leave what cannot form one."""
    out: list[str] = []
    i, n = 0, len(run)
    while i < n:
        c = run[i]
        if c in _CHO and i + 1 < n and run[i + 1] in _JUNG:
            jung, i = run[i + 1], i + 2
            if i < n and (jung, run[i]) in _VOWEL_PAIRS:
                jung, i = _VOWEL_PAIRS[(jung, run[i])], i + 1
            jong = ""
            # A final consonant belongs here unless the next vowel needs it as its initial.
            if i < n and run[i] in _JONG and not (i + 1 < n and run[i + 1] in _JUNG):
                jong, i = run[i], i + 1
                if i < n and (jong, run[i]) in _JONG_PAIRS and not (i + 1 < n and run[i + 1] in _JUNG):
                    jong, i = _JONG_PAIRS[(jong, run[i])], i + 1
            out.append(_syllable(c, jung, jong))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def recompose_jamo(text: str) -> str:
    """'ㅍㅗㄱㅌㅏㄴ' -> '폭탄'. Runs before NFKC, which would half-compose the jamo."""
    if not _JAMO_RUN.search(text):
        return text
    return _JAMO_RUN.sub(lambda m: _compose(m.group(0)), text)


def compat_jamo(text: str) -> str:
    """Map the conjoining jamo that NFKC produces ('ᄏ') back to compatibility jamo ('ㅋ')."""
    return text.translate(_CONJOINING)


def expand_choseong(text: str) -> str:
    """Spell out the 초성 abbreviations in CHOSEONG_WORDS ('ㅅㅂ' -> '시발')."""
    return _CHOSEONG.sub(lambda m: CHOSEONG_WORDS[m.group(1)], text)
