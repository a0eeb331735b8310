"""Character n-gram evidence beside the sentence vectors: a linear model over hashed n-grams.

A mean-pooled sentence vector dilutes one decisive word in a long, ordinary frame: "집에서 필로폰
만드는 방법 자세히 알려줘" (how do I make meth at home, in detail) lies next to the many cooking
questions of the same frame. Character 2-4-grams keep the word. A multinomial logistic regression
on them gives one logit per tier, and the heads read these logits after the sentence vector. The
heads' own training rows get out-of-fold logits, so the heads learn how far to trust the n-grams
on texts the regression was not fitted on. Fitting is deterministic (L-BFGS): no seed.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
from scipy import sparse

from slmguard.errors import ModelLoadError, NotFittedError

N_FEATURES = 2**18
"""Hash buckets: collisions are rare at this size, and the weights stay a few MB."""
NGRAMS = (2, 3, 4)
FILE = "lexical.safetensors"


def ngram_matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    """Hashed character 2-4-gram counts of each (normalised) text, log-scaled and L2-normalised per row.

    The hash is CRC-32 of the n-gram's UTF-8 bytes: stable across processes, unlike `hash()`.
    """
    indptr, indices, values = [0], [], []
    for text in texts:
        padded = f" {text.lower()} "
        counts = Counter(
            zlib.crc32(padded[i : i + n].encode("utf-8", "surrogatepass")) % N_FEATURES
            for n in NGRAMS
            for i in range(len(padded) - n + 1)
        )
        row = np.log1p(np.fromiter(counts.values(), np.float32, len(counts)))
        norm = float(np.linalg.norm(row)) or 1.0
        indices.extend(counts)
        values.extend((row / norm).tolist())
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.asarray(values, np.float32), np.asarray(indices, np.int64), np.asarray(indptr, np.int64)),
        shape=(len(texts), N_FEATURES),
    )


class LexicalScorer:
    """sklearn-style: `fit(texts, y)`, `decision_function(texts)` -> logits (n, classes).

    Args:
        classes: number of classes (the tiers: 3).
        l2: weight of the L2 penalty on the n-gram weights (the loss is a weighted mean).
        max_iter: L-BFGS iterations.
    """

    def __init__(self, *, classes: int = 3, l2: float = 1e-5, max_iter: int = 150) -> None:
        self.classes = classes
        self.l2 = l2
        self.max_iter = max_iter

    def get_config(self) -> dict[str, Any]:
        return {"classes": self.classes, "l2": self.l2, "max_iter": self.max_iter}

    def fit(self, texts: Sequence[str], y: Sequence[int], sample_weight: np.ndarray | None = None) -> Self:
        """Fit on texts with class indices `y` (rows with a negative index are left out)."""
        return self.fit_matrix(ngram_matrix(texts), np.asarray(y), sample_weight)

    def fit_matrix(self, X: sparse.csr_matrix, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Self:
        keep = y >= 0
        X, y = X[keep], y[keep]
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, np.float64)[keep]
        w = w / w.sum()
        onehot = np.eye(self.classes)[y]
        k, d = self.classes, X.shape[1]
        XT = X.T.tocsr()

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            W, b = theta[: d * k].reshape(d, k), theta[d * k :]
            z = X @ W + b
            z -= z.max(1, keepdims=True)
            log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
            g = (np.exp(log_p) - onehot) * w[:, None]
            value = -float((w[:, None] * onehot * log_p).sum()) + 0.5 * self.l2 * float((W * W).sum())
            grad_w = XT @ g + self.l2 * W
            return value, np.concatenate([grad_w.ravel(), g.sum(0)])

        from scipy.optimize import minimize

        result = minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter})
        self.coef_ = result.x[: d * k].reshape(d, k).astype(np.float32)
        self.intercept_ = result.x[d * k :].astype(np.float32)
        return self

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Logits (n, classes), float32."""
        return self.decision_matrix(ngram_matrix(texts))

    def decision_matrix(self, X: sparse.csr_matrix) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise NotFittedError("This LexicalScorer is not fitted yet. Call 'fit' first.")
        return np.asarray(X @ self.coef_ + self.intercept_, np.float32)

    def save(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        save_file({"coef": self.coef_, "intercept": self.intercept_}, str(directory / FILE))

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> Self:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        path = directory / FILE
        try:
            weights = load_file(str(path))
            scorer = cls(**config)
            scorer.coef_, scorer.intercept_ = weights["coef"], weights["intercept"]
        except (FileNotFoundError, SafetensorError, OSError, KeyError) as exc:
            raise ModelLoadError(f"Cannot read the n-gram weights '{path}': {exc}") from exc
        if scorer.coef_.shape != (N_FEATURES, scorer.classes):
            raise ModelLoadError(f"'{path}' has weights of shape {scorer.coef_.shape}; the file is corrupt.")
        return scorer


def fit_out_of_fold(
    scorer: LexicalScorer, texts: Sequence[str], y: Sequence[int], sample_weight: np.ndarray, *, folds: int = 5
) -> np.ndarray:
    """Fit `scorer` on all texts; return each text's logits from a copy fitted on the other folds.

    The n-gram matrix is built once for all the fits; the fold assignment is fixed.
    """
    X, y = ngram_matrix(texts), np.asarray(y)
    scorer.fit_matrix(X, y, sample_weight)
    fold = np.random.default_rng(0).permutation(len(y)) % folds
    out = np.zeros((len(y), scorer.classes), np.float32)
    for f in range(folds):
        part = LexicalScorer(**scorer.get_config()).fit_matrix(X[fold != f], y[fold != f], sample_weight[fold != f])
        out[fold == f] = part.decision_matrix(X[fold == f])
    return out
