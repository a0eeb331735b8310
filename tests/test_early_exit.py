"""Early exit: heads on e5's first layers settle the texts they are sure of; the rest get the full verdict."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from slmguard import Guard
from slmguard.embedding_cache import cached, flush
from slmguard.encoders import ConcatEncoder, E5Encoder, MiniLMEncoder, StagedEncoder, staged_part
from slmguard.errors import ModelLoadError
from slmguard.heads import TIERS, MultiTaskHeads, TemperatureScaler
from slmguard.heads.cascade import decision_margin
from slmguard.heads.early_exit import EarlyExit
from slmguard.normalize import normalize
from slmguard.replies import STRATEGY_CLASSES

from .test_two_pass import TEXTS, CountingEncoder

LAYER = 3


class StagedCounting(E5Encoder):
    """The shipped e5 part, recording which texts are carried on past the early exit."""

    def __init__(self, inner: E5Encoder) -> None:
        self.__dict__.update(inner.__dict__)
        self.finished: list[str] = []

    def encode_staged(
        self, texts: Sequence[str], layer: int
    ) -> tuple[np.ndarray, Callable[[Sequence[int]], np.ndarray]]:
        first, finish = super().encode_staged(texts, layer)

        def counting(rows: Sequence[int]) -> np.ndarray:
            self.finished += [texts[i] for i in rows]
            return finish(rows)

        return first, counting


@pytest.fixture(scope="module")
def exit_heads(guard: Guard) -> EarlyExit:
    """Exit heads fitted on TEXTS' layer-3 vectors to the full model's own verdicts (margin set per test)."""
    assert isinstance(guard.encoder, ConcatEncoder)
    reference = Guard(guard.parts, guard.encoder, cascade=False)
    verdicts = reference.check_batch(TEXTS)
    normalized = [normalize(t) for t in TEXTS]
    X = np.hstack([guard.encoder.parts[0].encode_staged(normalized, LAYER)[0], guard._lexical(normalized)])
    y = np.array([TIERS.index(v.label.value) for v in verdicts])
    C = np.array([[float(c in v.flagged) for c in guard.parts.category_codes] for v in verdicts], np.float32)
    heads = MultiTaskHeads(hidden=16, epochs=2, seed=0, strategies=STRATEGY_CLASSES).fit(X, y, C)
    tier_logits, cat_logits = heads.predict_logits(X)
    tier_cal = TemperatureScaler(kind="softmax").fit(tier_logits, y)
    return EarlyExit(LAYER, heads, tier_cal, TemperatureScaler(kind="sigmoid").fit(cat_logits, C), margin=0.0)


def _guards(guard: Guard, exit_heads: EarlyExit, margin: float) -> tuple[Guard, Guard, StagedCounting, CountingEncoder]:
    """(with the early exit, every encoder in full, the counting e5 part, the counting MiniLM part)."""
    assert isinstance(guard.encoder, ConcatEncoder)
    e5, minilm = guard.encoder.parts
    staged, counting = StagedCounting(e5), CountingEncoder(minilm)
    parts = replace(
        guard.parts, early_exit=replace(exit_heads, margin=margin), info={**guard.parts.info, "cascade_margin": None}
    )
    return Guard(parts, ConcatEncoder([staged, counting])), Guard(parts, guard.encoder, cascade=False), staged, counting


def test_texts_far_from_every_threshold_stop_early_and_the_rest_get_the_full_verdict(
    guard: Guard, exit_heads: EarlyExit
) -> None:
    normalized = [normalize(t) for t in TEXTS]
    first = guard.encoder.parts[0].encode_staged(normalized, LAYER)[0]  # type: ignore[attr-defined]
    tier, cats, _ = exit_heads.scores(np.hstack([first, guard._lexical(normalized)]))
    near = decision_margin(tier, guard.taxonomy, cats=cats, codes=guard.parts.category_codes)
    margin = float(np.median(near))  # about half the texts stop early
    fast, full, staged, _ = _guards(guard, exit_heads, margin=margin)
    assert fast.early_exit is not None and full.early_exit is None
    got, want = fast.check_batch(TEXTS), full.check_batch(TEXTS)
    carried_on = set(staged.finished)
    for text, g, w, m, t in zip(normalized, got, want, near, tier, strict=True):
        if m < margin:  # near a threshold: the full model's verdict, exactly
            assert text in carried_on
            assert g.unsafe_score == w.unsafe_score and g.categories == w.categories and g.reply == w.reply
        else:  # settled after LAYER layers, with the exit heads' own scores
            assert text not in carried_on
            assert g.unsafe_score == pytest.approx(float(t[2]), abs=1e-6)
    assert 0 < len(carried_on) < len(TEXTS)


def test_a_zero_margin_never_runs_the_later_layers_nor_minilm(guard: Guard, exit_heads: EarlyExit) -> None:
    fast, _, staged, minilm = _guards(guard, exit_heads, margin=0.0)
    fast.check_batch(TEXTS)
    assert staged.finished == [] and minilm.seen == []


def test_an_unreachable_margin_gives_exactly_the_full_verdicts(guard: Guard, exit_heads: EarlyExit) -> None:
    fast, full, staged, _ = _guards(guard, exit_heads, margin=2.0)
    got, want = fast.check_batch(TEXTS), full.check_batch(TEXTS)
    assert len(staged.finished) == len(TEXTS)
    assert [(g.unsafe_score, g.categories, g.flagged, g.reply) for g in got] == [
        (w.unsafe_score, w.categories, w.flagged, w.reply) for w in want
    ]


def test_the_early_exit_is_saved_and_loaded_with_the_model(guard: Guard, exit_heads: EarlyExit, tmp_path: Path) -> None:
    fast, _, _, _ = _guards(guard, exit_heads, margin=0.3)
    fast.save(tmp_path / "m")
    loaded = Guard.load(tmp_path / "m")
    assert loaded.early_exit is not None
    assert (loaded.early_exit.layer, loaded.early_exit.margin) == (LAYER, 0.3)
    assert [v.unsafe_score for v in loaded.check_batch(TEXTS)] == [v.unsafe_score for v in fast.check_batch(TEXTS)]
    assert Guard.load(tmp_path / "m", cascade=False).early_exit is None


def test_a_broken_early_exit_is_a_clear_load_error(guard: Guard, exit_heads: EarlyExit, tmp_path: Path) -> None:
    fast, _, _, _ = _guards(guard, exit_heads, margin=0.3)
    path = fast.save(tmp_path / "m")
    manifest = json.loads((path / "model.json").read_text())
    del manifest["early_exit"]["margin"]
    (path / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="corrupt early_exit entry.*margin"):
        Guard.load(path)
    (path / "early_exit" / "heads.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="early_exit/heads.safetensors"):
        Guard.load(path)


def test_the_embedding_cache_stages_too_and_gives_the_same_verdicts(
    guard: Guard, exit_heads: EarlyExit, tmp_path: Path
) -> None:
    fast, _, _, _ = _guards(guard, exit_heads, margin=0.5)
    encoder = cached(guard.encoder, tmp_path)
    assert isinstance(encoder, ConcatEncoder)
    assert staged_part(encoder) == (0, encoder.parts[0])
    assert isinstance(encoder.parts[0], StagedEncoder) and not isinstance(encoder.parts[1], StagedEncoder)
    through_cache = Guard(fast.parts, encoder)
    assert through_cache.early_exit is not None
    for _ in range(2):  # computed, then read back
        got, want = through_cache.check_batch(TEXTS), fast.check_batch(TEXTS)
        assert [(g.unsafe_score, g.categories) for g in got] == [(w.unsafe_score, w.categories) for w in want]
    flush(encoder)
    assert any(p.name.endswith(f"-depth{LAYER}.npz") for p in tmp_path.iterdir())


def test_one_rule_finds_the_part_that_can_stop() -> None:
    e5, minilm = E5Encoder(), MiniLMEncoder()
    assert staged_part(e5) == (-1, e5)
    assert staged_part(ConcatEncoder([minilm, e5])) == (1, e5)
    assert staged_part(minilm) is None and staged_part(ConcatEncoder([minilm])) is None
