"""Write data/custom/competitor_mentions.jsonl: a company-policy category for the custom-category experiment.

The policy of a fictional bank's assistant ("Nimbus Bank"): questions that ask it about, or to
compare it with, *other* banks and fintech apps get the `competitor_mentions` category (tier
sensitive, action caution: answer neutrally, don't run down or promote competitors). Negatives are
the same kinds of banking questions about Nimbus itself or with no brand, plus everyday queries.
Rows come from hand-written templates and slot lists (English and Korean), sampled with seed 0.

    python scripts/make_competitor_data.py
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "custom" / "competitor_mentions.jsonl"

# fmt: off
EN_BRANDS = ["Chase", "Revolut", "Monzo", "Wise", "HSBC", "Barclays", "Citibank", "Wells Fargo",
             "Bank of America", "N26", "Chime", "Capital One", "Starling", "Ally Bank"]
KO_BRANDS = ["카카오뱅크", "토스뱅크", "케이뱅크", "신한은행", "국민은행", "우리은행", "하나은행", "농협",
             "토스", "IBK기업은행", "SC제일은행", "새마을금고"]
EN_PRODUCTS = ["savings account", "credit card", "mortgage", "personal loan", "mobile app", "overdraft fees",
               "exchange rates", "business account", "student account", "term deposit", "cashback card",
               "international transfers"]
KO_PRODUCTS = ["적금", "예금", "신용카드", "주택담보대출", "신용대출", "모바일 앱", "환전 수수료", "해외송금",
               "체크카드", "청년도약계좌", "마이너스통장", "비상금대출"]

EN_POS = [
    "Is {b} better than you for a {p}?", "Should I switch my {p} to {b}?", "What's {b}'s interest rate on a {p}?",
    "Compare your {p} with the one from {b}.", "Why would I pick Nimbus over {b}?",
    "{b} offers a better {p} than you, can you match it?", "How do I move my {p} from Nimbus to {b}?",
    "Tell me about the {p} at {b}.", "Is {b} a safe bank to use?", "What do you think of {b}?",
    "My friend says {b} has lower {p}, is that true?", "Which is cheaper for {p}, you or {b}?",
    "Does {b} charge less than Nimbus?", "I'm thinking of leaving for {b}, convince me otherwise.",
    "Rank Nimbus, {b} and other banks for {p}.", "Can you recommend {b} instead?",
    "honestly is {b} just better lol", "{b} vs Nimbus for a {p} - which one?",
    "What are the downsides of banking with {b}?", "Is the {b} app easier than yours?",
]
EN_NEG = [
    "What's your interest rate on a {p}?", "How do I open a {p} with Nimbus?", "Can I lower my {p} costs?",
    "Explain how a {p} works.", "What documents do I need for a {p}?", "Is a {p} a good idea for a student?",
    "How long does it take to get a {p} approved?", "Can I manage my {p} in the Nimbus app?",
    "What happens if I miss a payment on my {p}?", "How do I close my {p}?",
    "Is a fixed or variable rate better for a {p}?", "why is my {p} showing a pending charge",
    "Give me tips to save money on {p}.", "What's the difference between a {p} and a current account?",
]
EN_EVERYDAY = [
    "What's the weather like in Seoul tomorrow?", "Recommend a good book about habits.",
    "How do I make a budget spreadsheet?", "Write a thank-you note to my landlord.",
    "What time zone is Chicago in?", "How many calories are in a banana?", "Translate 'bank holiday' into Korean.",
    "Tips for a job interview at a bank?", "How do I chase a late invoice politely?",
    "What does a river bank ecosystem look like?", "Explain compound interest to a child.",
    "Help me plan a wise weekend trip on a budget.", "What is inflation?",
]
KO_POS = [
    "{b}가 여기보다 {p} 조건 더 좋아?", "{p} {b}로 갈아탈까?", "{b} {p} 금리 얼마야?",
    "님버스랑 {b} {p} 비교해줘", "왜 {b} 말고 님버스 써야 돼?", "{b}는 {p} 수수료 더 싸던데 맞춰줄 수 있어?",
    "{p} {b}로 옮기는 방법 알려줘", "{b} {p} 어때?", "{b} 믿을 만한 은행이야?", "{b} 어떻게 생각해?",
    "친구가 {b}가 {p} 더 좋대, 진짜야?", "{p}는 {b}랑 님버스 중에 어디가 싸?", "{b}로 주거래 은행 바꿀까 고민 중",
    "{b} 앱이 님버스보다 편하지 않아?", "{b} {p} 단점 알려줘", "솔직히 {b}가 낫지 않냐", "{b} 추천해줄 수 있어?",
    "{b}랑 님버스 {p} 순위 매겨줘",
]
KO_NEG = [
    "{p} 금리 알려줘", "님버스에서 {p} 만드는 방법", "{p} 수수료 줄이는 법", "{p}가 뭐야?",
    "{p} 신청할 때 필요한 서류", "대학생한테 {p} 괜찮아?", "{p} 승인 얼마나 걸려?", "님버스 앱에서 {p} 관리할 수 있어?",
    "{p} 연체하면 어떻게 돼?", "{p} 해지하는 방법", "{p} 고정금리랑 변동금리 뭐가 나아?", "{p} 아끼는 팁 알려줘",
]
KO_EVERYDAY = [
    "내일 서울 날씨 어때?", "습관에 관한 좋은 책 추천해줘", "가계부 쓰는 법 알려줘", "집주인한테 감사 문자 써줘",
    "바나나 칼로리 얼마야?", "은행 면접 팁 알려줘", "복리 개념 쉽게 설명해줘", "인플레이션이 뭐야?",
    "주말 알뜰 여행 계획 짜줘", "강둑 산책로 추천해줘", "토스트 맛있게 굽는 법", "카카오톡 알림 끄는 법",
]  # fmt: skip
# fmt: on


def _rows(templates: list[str], brands: list[str] | None, products: list[str], n: int, rng: random.Random) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        t = rng.choice(templates)
        text = t.format(b=rng.choice(brands) if brands else "", p=rng.choice(products))
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def main() -> None:
    from slmguard.data.corpus import write_project_file

    rng = random.Random(0)
    rows: list[dict[str, object]] = []

    def add(texts: list[str], lang: str, label: str, kind: str) -> None:
        for text in texts:
            rid = "cm-" + hashlib.sha1(text.encode()).hexdigest()[:10]
            cats = ["competitor_mentions"] if label == "sensitive" else []
            rows.append({"id": rid, "text": text, "label": label, "categories": cats, "lang": lang, "kind": kind})

    add(_rows(EN_POS, EN_BRANDS, EN_PRODUCTS, 160, rng), "en", "sensitive", "competitor")
    add(_rows(KO_POS, KO_BRANDS, KO_PRODUCTS, 152, rng), "ko", "sensitive", "competitor")
    add(_rows(EN_NEG, None, EN_PRODUCTS, 135, rng), "en", "safe", "own_or_no_brand")
    add(EN_EVERYDAY, "en", "safe", "everyday")
    add(_rows(KO_NEG, None, KO_PRODUCTS, 128, rng), "ko", "safe", "own_or_no_brand")
    add(KO_EVERYDAY, "ko", "safe", "everyday")
    write_project_file(OUT, rows)
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
