"""Mask personal data in query texts before a report shows them.

Masks e-mail addresses, phone numbers (Korean and international), Korean resident registration
numbers, Luhn-valid card numbers, dashed bank account numbers, IPv4/IPv6 addresses and the
secret values of URL query parameters (token, key, sig, ...). Ordinary numbers, dates, times
and prices stay: every pattern is anchored on digit boundaries and validated where a checksum or
a calendar exists, because a report that masks every number is unreadable.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
RRN = "[RRN]"
CARD = "[CARD]"
ACCOUNT = "[ACCOUNT]"
IP = "[IP]"
SECRET = "[SECRET]"

_SECRET_PARAMS = re.compile(
    r"(?i)^(?:.*token.*|.*secret.*|.*passw(?:or)?d.*|key|.*_key|apikey|api-key|sig|signature|x-amz-signature|auth|"
    r"authorization|code|session|sessionid|sid|credential|x-amz-credential|otp|ticket)$"
)
_URL = re.compile(r"(?i)\b(?:https?|ftp)://[^\s<>\"']+")
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]*\d)"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])")
_RRN = re.compile(r"(?<![\d-])(\d{2})(\d{2})(\d{2})\s?-?\s?([1-8])\d{6}(?![\d-])")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[ .-]?(?:\(0?\d{1,4}\)|0?\d{1,4})[ .-]?\d{3,4}[ .-]?\d{4}"  # +82 10 1234 5678, +1 (415) 555-0100
    r"|01[016789][ .-]?\d{3,4}[ .-]?\d{4}"  # Korean mobile 010-1234-5678
    r"|0(?:2|[3-6][1-5]|70|80)[ .-]\d{3,4}[ .-]\d{4}"  # Korean landline and 070/080 with separators
    r"|\(\d{3}\)\s?\d{3}-\d{4}|\d{3}-\d{3}-\d{4}"  # North American
    r")(?![\w-])"
)
_ACCOUNT = re.compile(r"(?<![\w-])\d{2,6}-\d{2,6}-\d{2,8}(?:-\d{1,4})?(?![\w-])")
_ACCOUNT_WORDS = re.compile(r"(?i)(?:계좌|입금|통장|account|acct|iban)\D{0,12}?(\d{10,14})(?!\d)")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum that every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask_url(match: re.Match[str]) -> str:
    url = match.group(0)
    parts = urlsplit(url)
    masked = url
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if value and _SECRET_PARAMS.match(key):
            masked = masked.replace(f"{key}={value}", f"{key}={SECRET}", 1)
    if parts.username or parts.password:
        masked = masked.replace(parts.netloc.split("@")[0] + "@", f"{SECRET}@", 1)
    return masked


def _mask_rrn(match: re.Match[str]) -> str:
    month, day = int(match.group(2)), int(match.group(3))
    return RRN if 1 <= month <= 12 and 1 <= day <= 31 else match.group(0)


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _mask_ipv6(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group(0))
    except ValueError:
        return match.group(0)
    return IP


def _mask_account(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return ACCOUNT if 10 <= len(digits) <= 16 else match.group(0)


def _mask_account_words(match: re.Match[str]) -> str:
    start, end = match.span(1)
    whole = match.group(0)
    offset = match.start(0)
    return whole[: start - offset] + ACCOUNT + whole[end - offset :]


_STEPS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str], ...] = (
    (_URL, _mask_url),
    (_EMAIL, EMAIL),
    (_IPV6, _mask_ipv6),
    (_IPV4, IP),
    (_RRN, _mask_rrn),
    (_CARD, _mask_card),
    (_PHONE, PHONE),
    (_ACCOUNT, _mask_account),
    (_ACCOUNT_WORDS, _mask_account_words),
)


def mask_pii(text: str) -> str:
    """`text` with personal data replaced by placeholders such as [EMAIL] and [PHONE].

    The order matters: URLs first (their secrets, before the e-mail rule sees `user@host`), then
    the validated patterns (RRN date, card Luhn) before the looser phone and account shapes.
    """
    for pattern, repl in _STEPS:
        text = pattern.sub(repl, text)
    return text
