from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slmguard import ModelLoadError, NotFittedError
from slmguard.heads import MultiTaskHeads, TemperatureScaler
from slmguard.heads.multitask import IGNORE


def _blobs(n: int = 600, d: int = 16, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three separable clusters (tiers); category j is on when feature j is positive."""
    rng = np.random.default_rng(seed)
    tiers = rng.integers(0, 3, n)
    centers = rng.normal(0, 3, (3, d))
    X = centers[tiers] + rng.normal(0, 1, (n, d))
    cats = (X[:, :k] > 0).astype(np.float32)
    return X.astype(np.float32), tiers, cats


def test_fit_learns_both_tasks() -> None:
    X, tiers, cats = _blobs()
    heads = MultiTaskHeads(hidden=32, epochs=40, seed=0).fit(X[:500], tiers[:500], cats[:500])
    p_tier, p_cat = heads.predict_proba(X[500:])
    assert p_tier.shape == (100, 3) and p_cat.shape == (100, 3)
    assert np.allclose(p_tier.sum(1), 1.0, atol=1e-5)
    assert ((p_cat >= 0) & (p_cat <= 1)).all()
    assert (p_tier.argmax(1) == tiers[500:]).mean() > 0.9
    assert ((p_cat > 0.5) == cats[500:].astype(bool)).mean() > 0.85


def test_unknown_category_cells_do_not_count() -> None:
    X, tiers, cats = _blobs()
    noisy = cats.copy()
    noisy[:300, 0] = 1 - noisy[:300, 0]  # wrong labels ...
    masked = noisy.copy()
    masked[:300, 0] = np.nan  # ... that the mask hides

    def accuracy(labels: np.ndarray) -> float:
        heads = MultiTaskHeads(hidden=32, epochs=40, seed=0).fit(X[:500], tiers[:500], labels[:500])
        _, p_cat = heads.predict_proba(X[500:])
        return float(((p_cat[:, 0] > 0.5) == cats[500:, 0].astype(bool)).mean())

    masked_accuracy, noisy_accuracy = accuracy(masked), accuracy(noisy)
    assert masked_accuracy > 0.75
    assert masked_accuracy > noisy_accuracy + 0.2


def test_predict_before_fit_raises() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        MultiTaskHeads().predict_proba(np.zeros((1, 4)))
    with pytest.raises(NotFittedError):
        TemperatureScaler().transform(np.zeros((1, 3)))


def test_save_load_round_trip(tmp_path: Path) -> None:
    X, tiers, cats = _blobs(n=200)
    heads = MultiTaskHeads(hidden=8, epochs=2).fit(X, tiers, cats)
    heads.save(tmp_path)
    loaded = MultiTaskHeads.load(tmp_path, heads.get_config())
    for a, b in zip(heads.predict_logits(X), loaded.predict_logits(X), strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.get_config() == heads.get_config()


def test_average_of_seeds_is_one_wider_network_with_the_mean_logits(tmp_path: Path) -> None:
    X, tiers, cats = _blobs(n=300)
    judge = np.where(np.arange(300) % 2 == 0, tiers % 2, IGNORE)
    members = [
        MultiTaskHeads(hidden=8, epochs=3, seed=s, judge_classes=("a", "b")).fit(X, tiers, cats, judge=judge)
        for s in range(3)
    ]
    ensemble = MultiTaskHeads.average(members)
    assert ensemble.hidden == 24
    for got, *each in zip(ensemble.predict_logits(X), *(m.predict_logits(X) for m in members), strict=True):
        np.testing.assert_allclose(got, np.mean(each, axis=0), atol=1e-5)
    np.testing.assert_allclose(
        ensemble.predict_head_logits(X, "judge"),
        np.mean([m.predict_head_logits(X, "judge") for m in members], axis=0),
        atol=1e-5,
    )
    assert not np.allclose(members[0].predict_logits(X)[0], members[1].predict_logits(X)[0])  # seeds differ
    ensemble.save(tmp_path)  # and it loads as any single model
    loaded = MultiTaskHeads.load(tmp_path, ensemble.get_config())
    np.testing.assert_array_equal(loaded.predict_logits(X)[0], ensemble.predict_logits(X)[0])


def test_average_refuses_members_of_other_data() -> None:
    X, tiers, cats = _blobs(n=200)
    a = MultiTaskHeads(hidden=8, epochs=1).fit(X, tiers, cats)
    b = MultiTaskHeads(hidden=8, epochs=1).fit(X * 2, tiers, cats)
    with pytest.raises(ValueError, match="same rows"):
        MultiTaskHeads.average([a, b])
    with pytest.raises(ValueError, match="at least one"):
        MultiTaskHeads.average([])


def test_numpy_forward_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    X, tiers, cats = _blobs(n=100)
    heads = MultiTaskHeads(hidden=8, epochs=1).fit(X, tiers, cats)
    p = heads.params_
    Z = torch.as_tensor((X - p["mean"]) / p["scale"])
    h = torch.nn.functional.gelu(Z @ torch.as_tensor(p["w1"]) + torch.as_tensor(p["b1"]))
    expected = (h @ torch.as_tensor(p["w_tier"]) + torch.as_tensor(p["b_tier"])).numpy()
    np.testing.assert_allclose(heads.predict_logits(X)[0], expected, rtol=1e-4, atol=1e-5)


def test_corrupt_weights_file(tmp_path: Path) -> None:
    (tmp_path / "heads.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelLoadError, match="heads.safetensors"):
        MultiTaskHeads.load(tmp_path, {})


def test_temperature_scaler_fixes_overconfidence() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 4000)
    true_logits = rng.normal(0, 1, (4000, 3))
    true_logits[np.arange(4000), y] += 1.0
    overconfident = true_logits * 4  # the right ranking, far too sharp
    scaler = TemperatureScaler(kind="softmax").fit(overconfident, y)
    assert 3.0 < scaler.temperature_ < 5.0
    state = TemperatureScaler.from_state(scaler.get_state())
    np.testing.assert_allclose(state.transform(overconfident), scaler.transform(overconfident))


def test_sigmoid_scaler_ignores_unknown_cells() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(0, 2, (3000, 2))
    y = (rng.random((3000, 2)) < 1 / (1 + np.exp(-z))).astype(float)
    y[:1000, 1] = np.nan
    scaler = TemperatureScaler(kind="sigmoid").fit(z * 3, y)
    assert 2.5 < scaler.temperature_ < 3.5


def test_warm_start_learns_a_new_category_and_changes_nothing_else() -> None:
    from slmguard.heads.multitask import NEW_CATEGORY_BIAS, warm_start_params

    X, tiers, cats = _blobs(k=3)
    old = MultiTaskHeads(hidden=32, epochs=30, seed=0, strategies=["x", "y"]).fit(
        X[:500], tiers[:500], cats[:500, :2], strategy=tiers[:500] % 2
    )
    init = warm_start_params(old, ["a", "b"], ["b", "new", "a"])  # re-ordered, one new code
    p = old.params_
    assert np.array_equal(init["w_cat"][:, 0], p["w_cat"][:, 1])
    assert np.array_equal(init["w_cat"][:, 2], p["w_cat"][:, 0])
    assert not init["w_cat"][:, 1].any() and init["b_cat"][1] == NEW_CATEGORY_BIAS
    assert init["new_categories"].tolist() == [False, True, False]

    new = MultiTaskHeads(hidden=32, epochs=100, lr=0.05, seed=1, strategies=["x", "y"]).fit(
        X[:500], tiers[:500], cats[:500][:, [1, 2, 0]] * 0 + cats[:500, [2]], init=init
    )  # contrary labels for the known codes: they must not move them
    old_tier, old_cat = old.predict_logits(X[500:])
    new_tier, new_cat = new.predict_logits(X[500:])
    assert np.allclose(new_tier, old_tier, atol=1e-5)
    assert np.allclose(new_cat[:, [2, 0]], old_cat, atol=1e-5)
    assert np.allclose(new.predict_head_logits(X[500:], "strategy"), old.predict_head_logits(X[500:], "strategy"))
    learnt = ((new_cat[:, 1] > 0) == cats[500:, 2].astype(bool)).mean()
    assert learnt > 0.85


def test_warm_start_from_a_model_of_another_width_says_so() -> None:
    from slmguard.heads.multitask import warm_start_params

    X, tiers, cats = _blobs()
    old = MultiTaskHeads(hidden=16, epochs=2).fit(X, tiers, cats)
    with pytest.raises(ValueError, match=r"Warm start: 'w1' has shape \(16, 16\), the model needs \(32, 16\)"):
        MultiTaskHeads(hidden=32, epochs=1).fit(X, tiers, cats, init=warm_start_params(old, "abc", "abd"))


def test_warm_start_without_a_new_category_has_nothing_to_learn() -> None:
    from slmguard.heads.multitask import warm_start_params

    X, tiers, cats = _blobs()
    old = MultiTaskHeads(hidden=16, epochs=2).fit(X, tiers, cats)
    with pytest.raises(ValueError, match="all known to the starting model"):
        MultiTaskHeads(hidden=16, epochs=1).fit(X, tiers, cats, init=warm_start_params(old, "abc", "cba"))


def test_prediction_runs_numpy_on_one_blas_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """After an encoder pass, multi-threaded BLAS fought PyTorch's OpenMP threads (57 ms for 2 rows)."""
    from threadpoolctl import threadpool_info

    from slmguard.heads import multitask

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 8)).astype(np.float32)
    heads = MultiTaskHeads(hidden=8, epochs=1, strategies=("none", "decline")).fit(
        X, rng.integers(0, 3, 40), rng.integers(0, 2, (40, 2)).astype(np.float32), strategy=rng.integers(0, 2, 40)
    )
    seen: list[list[int]] = []
    hidden = multitask.MultiTaskHeads._hidden

    def spy(self: MultiTaskHeads, X: np.ndarray) -> np.ndarray:
        seen.append([lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"])
        return hidden(self, X)

    monkeypatch.setattr(multitask.MultiTaskHeads, "_hidden", spy)
    heads.predict_logits(X)
    heads.predict_head_logits(X, "strategy")
    assert len(seen) == 2 and all(threads and set(threads) == {1} for threads in seen)
