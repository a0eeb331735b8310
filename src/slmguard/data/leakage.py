"""Normalised-text keys that keep every test row out of training and dev data."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from slmguard.data.manifest import Manifest

_WS = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")
_QUOTED = re.compile(r"[\"“”«»「」『』]([^\"“”«»「」『』]{8,80})[\"“”«»「」『』]")


def text_key(text: str) -> str:
    """Case- and whitespace-insensitive hash of a text."""
    return hashlib.blake2b(_WS.sub(" ", text).strip().lower().encode("utf-8"), digest_size=12).hexdigest()


def held_out_keys(manifest: Manifest) -> set[str]:
    """Keys of every row in every split whose role is `test` (prompts and responses' prompts)."""
    return {text_key(text) for _, text in held_out_texts(manifest)}


def held_out_texts(manifest: Manifest) -> list[tuple[str, str]]:
    """(dataset, text) of every row in every split whose role is `test`."""
    return [
        (name, row["text"])
        for name, info in manifest.datasets.items()
        if info.splits_with_role("test")
        for row in manifest.rows(name, role="test")
    ]


def char_grams(text: str, n: int = 5) -> frozenset[str]:
    """Character n-grams of the lower-cased words, punctuation dropped (Korean has no useful word
    boundaries for this: particles glue to nouns, so characters, not words)."""
    s = " ".join(_NOT_WORD.sub(" ", text.lower()).split())
    return frozenset(s[i : i + n] for i in range(max(1, len(s) - n + 1)))


@dataclass(frozen=True)
class NearCopy:
    """A checked text and the held-out row it nearly copies."""

    index: int
    """Position of the checked text."""
    source: str
    held_out: str
    similarity: float
    """Jaccard similarity of the two texts' character 5-grams."""


class NearCopyIndex:
    """Finds texts that are near copies of held-out (test) texts: a paraphrase with a word or two
    changed is as much a leak as an exact copy, which `text_key` alone cannot see."""

    def __init__(self, held_out: Iterable[tuple[str, str]], *, common: int = 3000) -> None:
        self.rows = list(held_out)
        self.grams = [char_grams(text) for _, text in self.rows]
        self.common = common
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, grams in enumerate(self.grams):
            for g in grams:
                self.postings[g].append(i)

    def nearest(self, text: str, *, candidates: int = 20) -> tuple[float, int]:
        """(similarity, row) of the most similar held-out row, among those sharing the most rare grams."""
        grams = char_grams(text)
        shared: Counter[int] = Counter()
        for g in grams:
            if len(posting := self.postings.get(g, ())) < self.common:  # "how t" is in everything
                shared.update(posting)
        best = (0.0, -1)
        for i, _ in shared.most_common(candidates):
            best = max(best, (len(grams & self.grams[i]) / len(grams | self.grams[i]), i))
        return best

    def near_copies(self, texts: Sequence[str], *, threshold: float = 0.5) -> list[NearCopy]:
        found = []
        for k, text in enumerate(texts):
            similarity, i = self.nearest(text)
            if similarity >= threshold:
                found.append(NearCopy(k, self.rows[i][0], self.rows[i][1], similarity))
        return found


def quoted_titles(held_out: Iterable[str]) -> set[str]:
    """Quoted Title-Case spans of two to eight words in held-out texts (the books and songs of
    HarmBench's copyright items, mostly): a training row that asks for the same title is the same
    test item in other words. Case matters, so that "the office" in a sentence is not "The Office"."""
    titles = set()
    for text in held_out:
        for span in _QUOTED.findall(text):
            words = span.split()
            long = [w for w in words if len(w) >= 4]
            if 2 <= len(words) <= 8 and long and all(w[0].isupper() for w in long) and span[0].isalnum():
                titles.add(span.strip(" .,!?"))
    return titles


def names_a_title(text: str, titles: Iterable[str]) -> list[str]:
    """The titles that `text` names, whole words only."""
    return [t for t in titles if t in text and re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text)]
