"""MultiTaskHeads: one shared MLP trunk with tier, category, reply-strategy and response-judge heads.

Trained jointly (tier cross-entropy + masked category BCE + strategy and judge cross-entropy,
each counted only on the rows that carry its target) in PyTorch; prediction runs in NumPy so
that a loaded model needs no autograd.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from slmguard.errors import ModelLoadError, NotFittedError

TIERS = ("safe", "sensitive", "unsafe")
_PARAMS = ("mean", "scale", "w1", "b1", "w_tier", "b_tier", "w_cat", "b_cat")
IGNORE = -1
"""Target index of a row that does not train a head (e.g. a prompt+response pair for the tier head)."""
_EXTRA_HEADS = {"strategy": ("w_strat", "b_strat"), "judge": ("w_judge", "b_judge")}


class MultiTaskHeads:
    """sklearn-style estimator: `fit(X, tiers, categories)`, `predict_logits(X)`, `predict_proba(X)`.

    Args:
        hidden: width of the shared trunk.
        epochs, lr, weight_decay, dropout, batch_size: optimisation settings.
        category_weight: weight of the category loss against the tier loss.
        seed: makes training repeatable.
        drop_blocks, block_dropout: column ranges [start, end) zeroed for a random share of the
            rows in each batch, so the heads also work when that encoder part is absent (MiniLM
            on Korean text).
        strategies: names of the reply-strategy classes (empty: no strategy head).
        judge_classes: names of the response-judge classes (empty: no judge head).
        strategy_weight, judge_weight: weights of those losses against the tier loss.
    """

    config_keys: ClassVar[tuple[str, ...]] = (
        "hidden", "epochs", "lr", "weight_decay", "dropout", "batch_size", "category_weight", "seed",
        "drop_blocks", "block_dropout", "strategies", "judge_classes", "strategy_weight", "judge_weight",
    )  # fmt: skip

    def __init__(
        self,
        *,
        hidden: int = 512,
        epochs: int = 40,
        lr: float = 2e-3,
        weight_decay: float = 1e-4,
        dropout: float = 0.3,
        batch_size: int = 256,
        category_weight: float = 1.0,
        seed: int = 0,
        drop_blocks: Sequence[Sequence[int]] = (),
        block_dropout: float = 0.0,
        strategies: Sequence[str] = (),
        judge_classes: Sequence[str] = (),
        strategy_weight: float = 0.5,
        judge_weight: float = 1.0,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.batch_size = batch_size
        self.category_weight = category_weight
        self.seed = seed
        self.drop_blocks = [list(b) for b in drop_blocks]
        self.block_dropout = block_dropout
        self.strategies = list(strategies)
        self.judge_classes = list(judge_classes)
        self.strategy_weight = strategy_weight
        self.judge_weight = judge_weight

    def get_config(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.config_keys}

    def fit(
        self,
        X: np.ndarray,
        tiers: Sequence[int],
        categories: np.ndarray,
        *,
        strategy: Sequence[int] | None = None,
        judge: Sequence[int] | None = None,
        sample_weight: np.ndarray | None = None,
        init: Mapping[str, np.ndarray] | None = None,
        progress: Callable[[int, float], None] | None = None,
    ) -> Self:
        """Train on embeddings `X` (n, d), tier indices into TIERS, and a category matrix (n, k).

        `categories` holds 1/0 per code, or NaN where the code is unknown for that row
        (those cells do not count in the loss). `strategy` and `judge` hold class indices into
        `strategies` and `judge_classes`; IGNORE (as in `tiers`) leaves a row out of that head's loss.
        `init` (from `warm_start_params`) extends a fitted model with the categories it lacks
        (`init["new_categories"]`): only their columns learn; the trunk, the other heads and the
        known categories keep their weights, so the new categories cannot change its other outputs.
        """
        import torch

        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        X = np.asarray(X, np.float32)
        if init is None:
            mean, scale = self._feature_statistics(X)
        else:  # the trunk's weights only mean something on the standardisation they learnt
            mean, scale = np.asarray(init["mean"], np.float32), np.asarray(init["scale"], np.float32)
        X_t = torch.as_tensor(_standardize(X, mean, scale, self.drop_blocks))
        y_t = torch.as_tensor(np.asarray(tiers, np.int64))
        extra_t = {
            name: torch.as_tensor(np.asarray(t if t is not None else [IGNORE] * len(X), np.int64))
            for name, t in (("strategy", strategy), ("judge", judge))
        }
        C = np.asarray(categories, np.float32)
        mask_t = torch.as_tensor(~np.isnan(C), dtype=torch.float32)
        C_t = torch.as_tensor(np.nan_to_num(C, nan=0.0))
        w = np.ones(len(X), np.float32) if sample_weight is None else np.asarray(sample_weight, np.float32)
        w_t = torch.as_tensor(w / w.mean())
        n, d = X_t.shape
        k = C.shape[1]
        trunk = torch.nn.Sequential(torch.nn.Linear(d, self.hidden), torch.nn.GELU(), torch.nn.Dropout(self.dropout))
        tier_head = torch.nn.Linear(self.hidden, len(TIERS))
        cat_head = torch.nn.Linear(self.hidden, k)
        extra_heads = {
            name: (torch.nn.Linear(self.hidden, len(classes)), weight)
            for name, classes, weight in (
                ("strategy", self.strategies, self.strategy_weight),
                ("judge", self.judge_classes, self.judge_weight),
            )
            if classes
        }
        if init is not None:
            layers = {"w1": trunk[0], "w_tier": tier_head, "w_cat": cat_head}
            layers.update({_EXTRA_HEADS[name][0]: head for name, (head, _) in extra_heads.items()})
            _load_layers(layers, init)
        params = [*trunk.parameters(), *tier_head.parameters(), *cat_head.parameters()]
        for head, _ in extra_heads.values():
            params += list(head.parameters())
        if init is not None:
            learn = torch.as_tensor(np.asarray(init["new_categories"], bool))
            if not learn.any():
                raise ValueError("Warm start: the categories are all known to the starting model; nothing to learn.")
            cat_head.weight.register_hook(lambda g: g * learn[:, None])  # known columns get no update
            cat_head.bias.register_hook(lambda g: g * learn)
            for module in (trunk, tier_head, *(head for head, _ in extra_heads.values())):
                module.requires_grad_(False)
            params = list(cat_head.parameters())
        opt = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay if init is None else 0.0)
        steps = self.epochs * int(np.ceil(n / self.batch_size))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=steps)
        # Rare categories get a larger positive weight, capped so they do not dominate.
        pos = (C_t * mask_t).sum(0)
        neg = ((1 - C_t) * mask_t).sum(0)
        pos_weight = torch.clamp(neg / pos.clamp(min=1), 1.0, 20.0).sqrt()
        for epoch in range(self.epochs):
            order = torch.as_tensor(rng.permutation(n))
            total = 0.0
            for start in range(0, n, self.batch_size):
                idx = order[start : start + self.batch_size]
                x = X_t[idx]
                if self.block_dropout and self.drop_blocks:
                    x = x.clone()
                    for lo, hi in self.drop_blocks:
                        x[torch.rand(len(idx)) < self.block_dropout, lo:hi] = 0.0
                h = trunk(x)
                tier_loss = torch.nn.functional.cross_entropy(
                    tier_head(h), y_t[idx], reduction="none", ignore_index=IGNORE
                )
                bce = torch.nn.functional.binary_cross_entropy_with_logits(
                    cat_head(h), C_t[idx], pos_weight=pos_weight, reduction="none"
                )
                cat_loss = (bce * mask_t[idx]).sum(1) / mask_t[idx].sum(1).clamp(min=1)
                row_loss = tier_loss + self.category_weight * cat_loss
                for name, (head, weight) in extra_heads.items():
                    row_loss = row_loss + weight * torch.nn.functional.cross_entropy(
                        head(h), extra_t[name][idx], reduction="none", ignore_index=IGNORE
                    )
                loss = (row_loss * w_t[idx]).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(idx)
            if progress:
                progress(epoch + 1, total / n)
        self.params_ = {
            "mean": mean,
            "scale": scale,
            "w1": trunk[0].weight.detach().numpy().T.copy(),
            "b1": trunk[0].bias.detach().numpy().copy(),
            "w_tier": tier_head.weight.detach().numpy().T.copy(),
            "b_tier": tier_head.bias.detach().numpy().copy(),
            "w_cat": cat_head.weight.detach().numpy().T.copy(),
            "b_cat": cat_head.bias.detach().numpy().copy(),
        }
        for name, (head, _) in extra_heads.items():
            w_key, b_key = _EXTRA_HEADS[name]
            self.params_[w_key] = head.weight.detach().numpy().T.copy()
            self.params_[b_key] = head.bias.detach().numpy().copy()
        return self

    def _feature_statistics(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-feature mean and scale for standardising.

        Sentence embeddings crowd into a narrow cone; standardising each feature lets the MLP see
        the differences between texts instead of what they all share. Rows where a
        language-restricted part is absent (all zeros) do not count towards its statistics.
        """
        mean, scale = X.mean(0), X.std(0) + 1e-6
        for lo, hi in self.drop_blocks:
            present = ~_absent(X, lo, hi)
            if present.any():
                mean[lo:hi], scale[lo:hi] = X[present, lo:hi].mean(0), X[present, lo:hi].std(0) + 1e-6
        return mean, scale

    def _check_fitted(self) -> dict[str, np.ndarray]:
        params = getattr(self, "params_", None)
        if params is None:
            raise NotFittedError("This MultiTaskHeads is not fitted yet. Call 'fit' first.")
        return params

    def _hidden(self, X: np.ndarray) -> np.ndarray:
        p = self._check_fitted()
        h = _standardize(np.asarray(X, np.float32), p["mean"], p["scale"], self.drop_blocks) @ p["w1"] + p["b1"]
        return 0.5 * h * (1.0 + _erf(h / np.sqrt(2.0)))  # exact GELU, as torch's default

    def predict_logits(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw (tier_logits (n, 3), category_logits (n, k)) before calibration."""
        p = self._check_fitted()
        with _one_blas_thread():
            h = self._hidden(X)
            return h @ p["w_tier"] + p["b_tier"], h @ p["w_cat"] + p["b_cat"]

    def has_head(self, name: str) -> bool:
        """Whether the optional head `name` ('strategy' or 'judge') was trained."""
        return _EXTRA_HEADS[name][0] in self._check_fitted()

    def predict_head_logits(self, X: np.ndarray, name: str) -> np.ndarray:
        """Raw logits of the optional head `name` ('strategy' or 'judge'), one column per class.

        Raises:
            NotFittedError: the model has no such head (trained before it existed, or without its data).
        """
        p = self._check_fitted()
        w_key, b_key = _EXTRA_HEADS[name]
        if w_key not in p:
            raise NotFittedError(f"This model has no {name} head; retrain it with `slmguard train`.")
        with _one_blas_thread():
            return self._hidden(X) @ p[w_key] + p[b_key]

    def predict_proba(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated (tier probabilities, category probabilities)."""
        tier, cat = self.predict_logits(X)
        return softmax(tier), sigmoid(cat)

    @classmethod
    def average(cls, members: Sequence[MultiTaskHeads]) -> Self:
        """One network whose logits are the mean of the fitted `members`' logits: an ensemble of head seeds.

        Every output is linear in the trunk's hidden units, so averaging K members' logits is exactly
        a K-times wider trunk whose output weights are theirs divided by K. The ensemble therefore
        saves, loads, predicts and extends like a single model, at K times the heads' small cost,
        and with less of the noise that one seed's training leaves in every output.

        Raises:
            ValueError: no members, or members standardised on different rows (other training data).
        """
        if not members:
            raise ValueError("an ensemble needs at least one member")
        params = [m._check_fitted() for m in members]
        first, k = params[0], len(params)
        if any(not (np.array_equal(p["mean"], first["mean"]) and p.keys() == first.keys()) for p in params):
            raise ValueError("ensemble members must be trained on the same rows with the same heads")
        merged = {
            "mean": first["mean"],
            "scale": first["scale"],
            "w1": np.concatenate([p["w1"] for p in params], axis=1),
            "b1": np.concatenate([p["b1"] for p in params]),
        }
        for w_key, b_key in (("w_tier", "b_tier"), ("w_cat", "b_cat"), *_EXTRA_HEADS.values()):
            if w_key in first:
                merged[w_key] = np.concatenate([p[w_key] for p in params], axis=0) / k
                merged[b_key] = np.mean([p[b_key] for p in params], axis=0)
        heads = cls(**{**members[0].get_config(), "hidden": sum(m.hidden for m in members)})
        heads.params_ = {key: value.astype(np.float32) for key, value in merged.items()}
        return heads

    def save(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        save_file(
            {k: np.ascontiguousarray(v) for k, v in self._check_fitted().items()}, str(directory / "heads.safetensors")
        )

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> Self:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        path = directory / "heads.safetensors"
        try:
            params = load_file(str(path))
        except (FileNotFoundError, SafetensorError, OSError) as exc:
            raise ModelLoadError(f"Cannot read the head weights '{path}': {exc}") from exc
        missing = [k for k in _PARAMS if k not in params]
        if missing:
            raise ModelLoadError(f"'{path}' lacks the tensors {', '.join(missing)}; the file is corrupt.")
        heads = cls(**config)
        heads.params_ = params
        return heads


NEW_CATEGORY_BIAS = -2.0
"""Starting logit of a category the warm-start model lacks: rare (p ≈ 0.12) until its labels say otherwise."""


def warm_start_params(heads: MultiTaskHeads, codes: Sequence[str], new_codes: Sequence[str]) -> dict[str, np.ndarray]:
    """`heads`' weights as `fit(init=...)` takes them, with category columns re-ordered for `new_codes`.

    A code `heads` lacks starts with zero weights and NEW_CATEGORY_BIAS and is marked in
    `new_categories`; a removed code is dropped.
    """
    p = heads._check_fitted()
    col = {c: j for j, c in enumerate(codes)}
    w_cat = np.zeros((p["w_cat"].shape[0], len(new_codes)), np.float32)
    b_cat = np.full(len(new_codes), NEW_CATEGORY_BIAS, np.float32)
    for j, code in enumerate(new_codes):
        if code in col:
            w_cat[:, j], b_cat[j] = p["w_cat"][:, col[code]], p["b_cat"][col[code]]
    new = np.array([code not in col for code in new_codes])
    return {**p, "w_cat": w_cat, "b_cat": b_cat, "new_categories": new}


def _load_layers(layers: Mapping[str, Any], init: Mapping[str, np.ndarray]) -> None:
    """Copy `init`'s weights (stored transposed, as in `params_`) into torch Linear layers of the same shape."""
    import torch

    for w_key, layer in layers.items():
        if w_key not in init:
            continue  # a head the starting model lacks starts at random
        weight = torch.as_tensor(np.asarray(init[w_key], np.float32).T.copy())
        if weight.shape != layer.weight.shape:
            raise ValueError(
                f"Warm start: '{w_key}' has shape {tuple(weight.shape)}, the model needs {tuple(layer.weight.shape)}."
            )
        with torch.no_grad():
            layer.weight.copy_(weight)
            layer.bias.copy_(torch.as_tensor(np.asarray(init["b" + w_key[1:]], np.float32)))


@cache
def _blas_controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Run NumPy's matmuls on one thread.

    Right after an encoder pass PyTorch's OpenMP threads still spin, and OpenBLAS's own threads
    then fight them for the cores: on 2 cores the heads of a two-text batch took 57 ms instead of
    0.2 ms. Matmuls this small gain nothing from threads anyway.
    """
    with _blas_controller().limit(limits=1, user_api="blas"):
        yield


def _standardize(X: np.ndarray, mean: np.ndarray, scale: np.ndarray, blocks: Sequence[Sequence[int]]) -> np.ndarray:
    """(X - mean) / scale; an absent block (all zeros in a row) stays exactly zero, as in training."""
    Z = (X - mean) / scale
    for lo, hi in blocks:
        Z[_absent(X, lo, hi), lo:hi] = 0.0
    return Z.astype(np.float32, copy=False)


def _absent(X: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Rows where the encoder part in columns [lo, hi) is absent (all zeros)."""
    return np.abs(X[:, lo:hi]).sum(1) == 0


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def _erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return erf(x)
