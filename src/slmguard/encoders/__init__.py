"""Sentence encoders behind one protocol, and the registry that names them.

Weights load in `load()`, never at import time: `get_encoder(name)` returns an
unloaded encoder, and the Guard loads it once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from slmguard.encoders.e5 import E5Encoder
from slmguard.encoders.minilm import MiniLMEncoder
from slmguard.errors import InvalidInputError
from slmguard.normalize import detect_lang

__all__ = [
    "ENCODERS",
    "ConcatEncoder",
    "E5Encoder",
    "Encoder",
    "MiniLMEncoder",
    "StagedEncoder",
    "encode_readable",
    "get_encoder",
    "readable",
    "staged_part",
]


@runtime_checkable
class Encoder(Protocol):
    """Maps texts to L2-normalised float32 vectors of a fixed width."""

    name: str
    dim: int
    languages: tuple[str, ...] | None  # the languages it can read; None = any

    @property
    def version(self) -> str:
        """Changes whenever the vectors would: caches and trained heads are tied to it."""
        ...

    def load(self) -> None: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class StagedEncoder(Encoder, Protocol):
    """An encoder that can stop after its first layers and finish later from where it stopped
    (`E5Encoder`, and its embedding cache): what an early exit needs."""

    def encode_staged(self, texts: Sequence[str], layer: int) -> tuple[np.ndarray, Callable[..., np.ndarray]]:
        """Vectors after `layer` layers, and `finish(rows, until=None)`: those rows' vectors after
        `until` layers (all by default), computed on from where they stopped."""
        ...

    def first_layers(self, depth: int) -> Encoder: ...

    @property
    def layer_count(self) -> int: ...


def staged_part(encoder: Encoder) -> tuple[int, StagedEncoder] | None:
    """The part of `encoder` that can stop part-way, and its index among a concatenation's parts
    (-1 when it is `encoder` itself); None when no part can. The one rule for the guard and the trainer."""
    if isinstance(encoder, ConcatEncoder):
        return next(((i, p) for i, p in enumerate(encoder.parts) if isinstance(p, StagedEncoder)), None)
    return (-1, encoder) if isinstance(encoder, StagedEncoder) else None


class ConcatEncoder:
    """Several encoders side by side: the vector is their concatenation.

    A part that cannot read a text's language (MiniLM on Korean) contributes zeros for that
    text, so the heads learn to rely on the parts that can.
    """

    languages = None

    def __init__(self, parts: Sequence[Encoder]) -> None:
        self.parts = tuple(parts)
        self.name = "+".join(p.name for p in self.parts)
        self.dim = sum(p.dim for p in self.parts)

    @property
    def version(self) -> str:
        return "+".join(getattr(p, "version", "") for p in self.parts)

    def load(self) -> None:
        for p in self.parts:
            p.load()

    def columns(self, index: int) -> slice:
        """The columns of part `index` in the concatenated vector."""
        start = sum(p.dim for p in self.parts[:index])
        return slice(start, start + self.parts[index].dim)

    def blocks(self) -> list[tuple[int, int]]:
        """Column ranges of the language-restricted parts (dropped at random while training)."""
        cols = [self.columns(i) for i, p in enumerate(self.parts) if p.languages is not None]
        return [(c.start, c.stop) for c in cols]

    def encode(self, texts: Sequence[str], *, skip: Collection[int] = ()) -> np.ndarray:
        """The concatenated vectors; the parts numbered in `skip` are not run and give zeros."""
        langs = [detect_lang(t) for t in texts]
        return np.hstack(
            [
                np.zeros((len(texts), p.dim), np.float32) if i in skip else encode_readable(p, texts, langs)
                for i, p in enumerate(self.parts)
            ]
        ).astype(np.float32)


def readable(part: Encoder, langs: Sequence[str]) -> list[int]:
    """Indices of the texts (by language) that `part` can read."""
    return [i for i, lang in enumerate(langs) if part.languages is None or lang in part.languages]


def encode_readable(part: Encoder, texts: Sequence[str], langs: Sequence[str], **kwargs: Any) -> np.ndarray:
    """`part`'s vectors for the texts it can read, zeros for the others (which it never sees)."""
    rows = readable(part, langs)
    if len(rows) == len(texts):
        return part.encode(texts, **kwargs)
    out = np.zeros((len(texts), part.dim), np.float32)
    if rows:
        out[rows] = part.encode([texts[i] for i in rows], **kwargs)
    return out


FINETUNED_E5 = Path(__file__).resolve().parents[3] / "models" / "encoders" / "e5-small-slmguard.safetensors"
"""e5-small's layers fine-tuned on slmguard's tasks (`slmguard finetune`), shipped with the repository."""


STUDENT_E5 = FINETUNED_E5.with_name("e5-small-slmguard-student.safetensors")
"""The first layers of `FINETUNED_E5`, distilled from the default model (`slmguard finetune --teacher`):
the encoder of the fast model."""


def _finetuned_e5() -> E5Encoder:
    return E5Encoder(layers=FINETUNED_E5, name="e5-small-ft")


ENCODERS: dict[str, Callable[[], Encoder]] = {
    "minilm": MiniLMEncoder,
    "e5-small": E5Encoder,
    "e5-small+minilm": lambda: ConcatEncoder([E5Encoder(), MiniLMEncoder()]),
    "e5-small-ft": _finetuned_e5,
    "e5-small-ft+minilm": lambda: ConcatEncoder([_finetuned_e5(), MiniLMEncoder()]),
    "e5-small-student": lambda: E5Encoder(layers=STUDENT_E5, name="e5-small-student"),
}


def get_encoder(name: str) -> Encoder:
    """Return an unloaded encoder by registry name; the error lists the valid names."""
    try:
        return ENCODERS[name]()
    except KeyError:
        raise InvalidInputError(f"Unknown encoder {name!r}. Valid names: {', '.join(sorted(ENCODERS))}.") from None
