"""Remember the verdicts of recently seen texts, so that a repeated text costs no model call.

Live traffic and query logs repeat a lot ("hi", a popular prompt, a retried request), and the
encoders are nearly all of a verdict's cost. The memo is keyed by the exact text, holds at most
`size` texts (least recently seen go first) and skips long texts, which rarely repeat and would
make its memory depend on the input: memory stays bounded by `size × max_chars`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from slmguard.verdict import Verdict

T = TypeVar("T")

MAX_CHARS = 2_000
"""Texts longer than this are always decided afresh and never stored."""


class VerdictMemo(Generic[T]):
    """A least-recently-used memo in front of a batch classifier.

    `keep` turns a verdict into what is stored and returned (the verdict itself, or a smaller
    record of it). Not thread-safe: call it from one thread, as the server's guard thread and
    the report's classifier do.
    """

    def __init__(
        self,
        check_batch: Callable[[list[str]], list[Verdict]],
        size: int,
        *,
        keep: Callable[[Verdict], T],
        max_chars: int = MAX_CHARS,
    ) -> None:
        if size < 0:
            raise ValueError(f"memo size must be 0 (off) or more, got {size}")
        self._check_batch = check_batch
        self._keep = keep
        self.size = size
        self.max_chars = max_chars
        self._memo: OrderedDict[str, T] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._memo)

    def check_batch(self, texts: Sequence[str]) -> list[T]:
        """One result per text, in order; each distinct unknown text goes to the classifier once."""
        fresh = [t for t in dict.fromkeys(texts) if t not in self._memo]
        decided = dict(zip(fresh, map(self._keep, self._check_batch(fresh) if fresh else []), strict=True))
        out = []
        for text in texts:
            if text in self._memo:
                self._memo.move_to_end(text)
                out.append(self._memo[text])
                self.hits += 1
            else:
                out.append(decided[text])
                self.misses += 1
        if self.size:
            for text, kept in decided.items():
                if len(text) <= self.max_chars:
                    self._memo[text] = kept
            while len(self._memo) > self.size:
                self._memo.popitem(last=False)
        return out
