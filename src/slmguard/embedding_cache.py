"""An on-disk cache of sentence embeddings, so retraining does not re-encode the corpus."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from slmguard.encoders import Encoder


def default_cache_dir() -> Path:
    return Path(os.environ.get("SLMGUARD_CACHE", Path.home() / ".cache" / "slmguard"))


class EmbeddingCache:
    """Embeddings keyed by (encoder name, exact text), stored as one .npz per encoder."""

    def __init__(self, encoder: Encoder, directory: Path | None = None) -> None:
        self.encoder = encoder
        self.path = (directory or default_cache_dir()) / f"{encoder.name}.npz"
        self._index: dict[str, int] = {}
        self._vectors = np.zeros((0, encoder.dim), np.float32)
        if self.path.is_file():
            data = np.load(self.path)
            self._vectors = data["vectors"]
            self._index = {k: i for i, k in enumerate(data["keys"].tolist())}

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
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            vectors = self.encoder.encode([t for _, t in batch])
            base = len(self._vectors)
            self._vectors = np.vstack([self._vectors, vectors])
            for j, (k, _) in enumerate(batch):
                self._index[k] = base + j
            if (start // batch_size) % 20 == 19:  # keep what is done if the run is interrupted
                self._save()
            if progress:
                progress(len(batch))
        if todo:
            self._save()
        return self._vectors[[self._index[k] for k in keys]]

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(sorted(self._index, key=self._index.__getitem__))
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=self._vectors)
        tmp.replace(self.path)
