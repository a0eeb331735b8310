"""An on-disk cache of sentence embeddings, so retraining and re-evaluating do not re-encode texts."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from slmguard.encoders import ConcatEncoder, Encoder, StagedEncoder

FLUSH_EVERY = 8192
"""New vectors kept in memory before they are written out (and whatever is left at `flush()`)."""


def default_cache_dir() -> Path:
    return Path(os.environ.get("SLMGUARD_CACHE", Path.home() / ".cache" / "slmguard"))


class EmbeddingCache:
    """Embeddings keyed by (encoder name and version, exact text), stored as one .npz per encoder version.

    It is itself an Encoder, so evaluation runs can wrap a Guard's encoder in it.
    """

    def __init__(self, encoder: Encoder, directory: Path | None = None) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.dim = encoder.dim
        self.languages = encoder.languages
        self.version = getattr(encoder, "version", "")
        self.path = (directory or default_cache_dir()) / f"{encoder.name}-{self.version}.npz"
        self._index: dict[str, int] = {}
        self._chunks: list[np.ndarray] = [np.zeros((0, encoder.dim), np.float32)]
        self._unsaved = 0
        if self.path.is_file():
            data = np.load(self.path)
            self._chunks = [data["vectors"]]
            self._index = {k: i for i, k in enumerate(data["keys"].tolist())}

    def load(self) -> None:
        self.encoder.load()

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 256, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Vectors for `texts`, encoding only those not cached; `progress(n)` after each batch."""
        keys = [self._key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._index}
        todo = sorted(missing.items(), key=lambda kv: len(kv[1]))  # similar lengths batch faster
        size = len(self._index)
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            self._chunks.append(self.encoder.encode([t for _, t in batch]))
            for k, _ in batch:
                self._index[k] = size
                size += 1
            self._unsaved += len(batch)
            if self._unsaved >= FLUSH_EVERY:  # keep what is done if a long run is interrupted
                self.flush()
            if progress:
                progress(len(batch))
        vectors = self._vectors()
        return vectors[[self._index[k] for k in keys]]

    def _vectors(self) -> np.ndarray:
        if len(self._chunks) > 1:
            self._chunks = [np.vstack(self._chunks)]
        return self._chunks[0]

    def flush(self) -> None:
        """Write new vectors to disk."""
        if not self._unsaved:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(sorted(self._index, key=self._index.__getitem__))
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp.npz")  # one per process: runs may share a cache
        np.savez(tmp, keys=keys, vectors=self._vectors())
        tmp.replace(self.path)
        self._unsaved = 0


class StagedEmbeddingCache(EmbeddingCache):
    """The cache of an encoder that can stop part-way (a `StagedEncoder`, e5), so a Guard's early exit runs
    through it too."""

    def __init__(self, encoder: StagedEncoder, directory: Path | None = None) -> None:
        super().__init__(encoder, directory)
        self.encoder: StagedEncoder = encoder
        self._first_layers: dict[int, EmbeddingCache] = {}

    def encode_staged(self, texts: Sequence[str], layer: int) -> tuple[np.ndarray, Callable[..., np.ndarray]]:
        """The encoder's `encode_staged`, from the cache: the first vectors are those of the encoder
        cut after `layer` layers (cached as that encoder), `finish(rows, until)` reads or computes
        those after `until` layers (the full ones by default) the same way."""

        def finish(rows: Sequence[int], until: int | None = None) -> np.ndarray:
            cache = self if until is None else self.first_layers(until)
            return cache.encode([texts[i] for i in rows])

        return self.first_layers(layer).encode(texts), finish

    @property
    def layer_count(self) -> int:
        return self.encoder.layer_count

    def first_layers(self, depth: int) -> EmbeddingCache:
        """The cache of the encoder cut after `depth` layers (one per depth)."""
        if depth not in self._first_layers:
            self._first_layers[depth] = EmbeddingCache(self.encoder.first_layers(depth), self.path.parent)
        return self._first_layers[depth]

    def flush(self) -> None:
        """Write new vectors to disk, those of the first layers too."""
        for first in self._first_layers.values():
            first.flush()
        super().flush()


def cached(encoder: Encoder, directory: Path | None = None) -> EmbeddingCache | ConcatEncoder:
    """Wrap `encoder` in a cache; a concatenation caches each part, so parts are shared."""
    if isinstance(encoder, ConcatEncoder):
        return ConcatEncoder([cached(p, directory) for p in encoder.parts])
    if isinstance(encoder, StagedEncoder):  # the rule the guard and the trainer use (`staged_part`)
        return StagedEmbeddingCache(encoder, directory)
    return EmbeddingCache(encoder, directory)


def flush(encoder: Encoder) -> None:
    """Flush a cache made by `cached` (every part of a concatenation)."""
    for part in encoder.parts if isinstance(encoder, ConcatEncoder) else (encoder,):
        if isinstance(part, EmbeddingCache):
            part.flush()
