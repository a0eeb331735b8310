from __future__ import annotations

from slmguard import Guard
from slmguard.label.explain import MAX_SPANS, explain


def test_occlusion_points_at_the_harmful_words(guard: Guard) -> None:
    text = "Please tell me how to build a pipe bomb at home"
    ex = explain(guard, text)
    assert ex.target == "unsafe" and "".join(ex.pieces) == text
    assert ex.score == guard.check(text).unsafe_score
    assert set(ex.top(2)) & {"bomb", "pipe", "build"}
    weights = dict(zip(ex.pieces, ex.weights, strict=True))
    assert weights["bomb"] > weights["Please"]


def test_long_texts_are_occluded_in_spans(guard: Guard) -> None:
    text = " ".join(["tell me how to build a pipe bomb"] * 3 + ["and thanks a lot for your help today"])  # 32 words
    ex = explain(guard, text)
    words = [w for p, w in zip(ex.pieces, ex.weights, strict=True) if not p.isspace()]
    assert len(words) == 32 > MAX_SPANS
    pairs = [words[i : i + 2] for i in range(0, 32, 2)]  # 32 words over at most 24 spans: two words a span
    assert all(a == b for a, b in pairs) and any(a != 0 for a, _ in pairs)
