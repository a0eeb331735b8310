from __future__ import annotations

import pytest

from slmguard.verdict_memo import VerdictMemo


class CountingClassifier:
    """Stands in for `Guard.check_batch`: records every text it is asked to classify."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: list[str]) -> list[str]:
        self.seen += texts
        return [t.upper() for t in texts]


def test_each_distinct_text_is_classified_once_and_order_is_kept() -> None:
    clf = CountingClassifier()
    memo = VerdictMemo(clf, 10, keep=lambda v: v)  # type: ignore[arg-type]
    assert memo.check_batch(["a", "b", "a"]) == ["A", "B", "A"]
    assert memo.check_batch(["b", "c"]) == ["B", "C"]
    assert clf.seen == ["a", "b", "c"]
    assert (memo.hits, memo.misses) == (1, 4)


def test_least_recently_seen_text_is_forgotten_first() -> None:
    clf = CountingClassifier()
    memo = VerdictMemo(clf, 2, keep=lambda v: v)  # type: ignore[arg-type]
    memo.check_batch(["a", "b"])
    memo.check_batch(["a"])  # a is now the most recent
    memo.check_batch(["c"])  # evicts b
    clf.seen.clear()
    memo.check_batch(["a", "b"])
    assert clf.seen == ["b"] and len(memo) == 2


def test_long_texts_and_size_zero_are_never_stored() -> None:
    clf = CountingClassifier()
    memo = VerdictMemo(clf, 10, keep=lambda v: v, max_chars=5)  # type: ignore[arg-type]
    memo.check_batch(["short", "much longer"])
    memo.check_batch(["short", "much longer"])
    assert clf.seen == ["short", "much longer", "much longer"]
    off = VerdictMemo(clf, 0, keep=lambda v: v)  # type: ignore[arg-type]
    off.check_batch(["x"])
    off.check_batch(["x"])
    assert len(off) == 0 and off.hits == 0
    with pytest.raises(ValueError, match="memo size"):
        VerdictMemo(clf, -1, keep=lambda v: v)  # type: ignore[arg-type]


def test_keep_decides_what_is_stored_and_a_failure_stores_nothing() -> None:
    def failing(texts: list[str]) -> list[str]:
        raise RuntimeError("model crashed")

    memo = VerdictMemo(failing, 10, keep=len)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        memo.check_batch(["abc"])
    assert len(memo) == 0
    assert VerdictMemo(CountingClassifier(), 10, keep=len).check_batch(["abc"]) == [3]  # type: ignore[arg-type]
