from __future__ import annotations

import pytest

from slmguard.report.pii import ACCOUNT, CARD, EMAIL, IP, PHONE, RRN, SECRET, luhn_valid, mask_pii


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("주민번호 900101-1234567 입니다", f"주민번호 {RRN} 입니다"),
        ("주민등록번호는 9001012345678", f"주민등록번호는 {RRN}"),
        ("내 번호 010-1234-5678 로 연락줘", f"내 번호 {PHONE} 로 연락줘"),
        ("01012345678", PHONE),
        ("call +82 10 1234 5678 now", f"call {PHONE} now"),
        ("+82-10-1234-5678", PHONE),
        ("office 02-123-4567", f"office {PHONE}"),
        ("(415) 555-0100", PHONE),
        ("mail john.doe+tag@example.co.kr today", f"mail {EMAIL} today"),
        ("김철수@회사.com? no, kim_cs@corp.io", f"김철수@회사.com? no, {EMAIL}"),
        ("card 4111 1111 1111 1111 ok", f"card {CARD} ok"),
        ("card 5500-0000-0000-0004", f"card {CARD}"),
        ("카드번호 4111111111111111", f"카드번호 {CARD}"),
        ("국민은행 123-456789-01-234 로 입금", f"국민은행 {ACCOUNT} 로 입금"),
        ("신한 110-123-456789", f"신한 {ACCOUNT}"),
        ("계좌 1234567890123 으로 보내", f"계좌 {ACCOUNT} 으로 보내"),
        ("server 192.168.0.1 is down", f"server {IP} is down"),
        ("ping 2001:db8::8a2e:370:7334", f"ping {IP}"),
        ("loopback ::1 and fe80::1", f"loopback {IP} and {IP}"),
        ("https://api.x.com/v1?token=abc123&page=2", f"https://api.x.com/v1?token={SECRET}&page=2"),
        ("https://s3.aws.com/b/o?X-Amz-Signature=dead&x=1", f"https://s3.aws.com/b/o?X-Amz-Signature={SECRET}&x=1"),
        (
            "see http://h.io/cb?code=77a1&state=q&api_key=k9",
            f"see http://h.io/cb?code={SECRET}&state=q&api_key={SECRET}",
        ),
        ("https://user:pw@host.com/x", f"https://{SECRET}@host.com/x"),
    ],
)
def test_masks_personal_data(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "price $1,299.99 and ₩15,000",
        "it costs 3,500,000원",
        "on 2024-01-15 at 10:30:00",
        "born 1990-01-01, moved 2010.03.02",
        "version 1.2.3 and build 4.5",
        "order 12345678",
        "1234567812345678 is not a valid card",  # fails Luhn
        "ISBN 978-3-16-148410-0",
        "room 101, floor 12, 3 apples",
        "the year 2024 had 366 days",
        "900101-9234567",  # 9 is not a valid RRN gender digit
        "991399-1234567",  # month 13: not a date
        "https://example.com/search?q=weather&page=2",
        "it is 12:30:45 now",
        "pi is 3.14159265358979",
    ],
)
def test_leaves_ordinary_numbers_dates_and_prices(text: str) -> None:
    assert mask_pii(text) == text


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112")
