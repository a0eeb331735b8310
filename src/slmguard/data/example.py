"""Example: one labelled text in taxonomy terms, the unit that training and evaluation share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Example:
    """A text with its tier and taxonomy codes.

    `categories` is None when the source says the text is unsafe but not why: the
    category heads then skip it, while the tier head still learns from it.
    """

    text: str
    label: str
    categories: tuple[str, ...] | None
    lang: str
    source: str
    id: str = ""
