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

    def encode_staged(self, texts: Sequence[str], layer: int) -> tuple[np.ndarray, Callable[..., np.ndarray]]:
        first, finish = super().encode_staged(texts, layer)

        def counting(rows: Sequence[int], until: int | None = None) -> np.ndarray:
            if until is None:  # on to the full model
                self.finished += [texts[i] for i in rows]
            return finish(rows, until)

        return first, counting


def _fit_exit(guard: Guard, layer: int) -> EarlyExit:
    """Exit heads fitted on TEXTS' vectors after `layer` layers to the full model's verdicts (margin set per test)."""
    assert isinstance(guard.encoder, ConcatEncoder)
    reference = Guard(guard.parts, guard.encoder, cascade=False)
    verdicts = reference.check_batch(TEXTS)
    normalized = [normalize(t) for t in TEXTS]
    X = np.hstack([guard.encoder.parts[0].encode_staged(normalized, layer)[0], guard._lexical(normalized)])
    y = np.array([TIERS.index(v.label.value) for v in verdicts])
    C = np.array([[float(c in v.flagged) for c in guard.parts.category_codes] for v in verdicts], np.float32)
    heads = MultiTaskHeads(hidden=16, epochs=2, seed=0, strategies=STRATEGY_CLASSES).fit(X, y, C)
    tier_logits, cat_logits = heads.predict_logits(X)
    tier_cal = TemperatureScaler(kind="softmax").fit(tier_logits, y)
    return EarlyExit(layer, heads, tier_cal, TemperatureScaler(kind="sigmoid").fit(cat_logits, C), margin=0.0)


@pytest.fixture(scope="module")
def exit_heads(guard: Guard) -> EarlyExit:
    return _fit_exit(guard, LAYER)


def _guards(
    guard: Guard, *exits: EarlyExit, margin: float | None = None
) -> tuple[Guard, Guard, StagedCounting, CountingEncoder]:
    """(with the early exits, every encoder in full, the counting e5 part, the counting MiniLM part)."""
    assert isinstance(guard.encoder, ConcatEncoder)
    e5, minilm = guard.encoder.parts
    staged, counting = StagedCounting(e5), CountingEncoder(minilm)
    chain = tuple(e if margin is None else replace(e, margin=margin) for e in exits)
    parts = replace(guard.parts, early_exits=chain, info={**guard.parts.info, "cascade_margin": None})
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
    assert fast.early_exits and not full.early_exits
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
    assert [(e.layer, e.margin) for e in loaded.early_exits] == [(LAYER, 0.3)]
    assert [v.unsafe_score for v in loaded.check_batch(TEXTS)] == [v.unsafe_score for v in fast.check_batch(TEXTS)]
    assert Guard.load(tmp_path / "m", cascade=False).early_exits == ()


def test_a_single_early_exit_of_an_older_model_still_loads(guard: Guard, exit_heads: EarlyExit, tmp_path: Path) -> None:
    fast, _, _, _ = _guards(guard, exit_heads, margin=0.3)
    path = fast.save(tmp_path / "m")
    manifest = json.loads((path / "model.json").read_text())
    (entry,) = manifest.pop("early_exits")
    (path / entry["path"]).rename(path / "early_exit" / "heads.safetensors")  # 0.7.0-0.12.0's layout
    manifest["early_exit"] = {**entry, "path": "early_exit/heads.safetensors"}
    (path / "model.json").write_text(json.dumps(manifest))
    old = Guard.load(path)
    assert [(e.layer, e.margin) for e in old.early_exits] == [(LAYER, 0.3)]
    assert [v.unsafe_score for v in old.check_batch(TEXTS)] == [v.unsafe_score for v in fast.check_batch(TEXTS)]


def test_a_broken_early_exit_is_a_clear_load_error(guard: Guard, exit_heads: EarlyExit, tmp_path: Path) -> None:
    fast, _, _, _ = _guards(guard, exit_heads, margin=0.3)
    path = fast.save(tmp_path / "m")
    manifest = json.loads((path / "model.json").read_text())
    del manifest["early_exits"][0]["margin"]
    (path / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="corrupt early_exit entry.*margin"):
        Guard.load(path)
    (path / "early_exit" / f"layer_{LAYER}" / "heads.safetensors").unlink()
    with pytest.raises(ModelLoadError, match=f"early_exit/layer_{LAYER}/heads.safetensors"):
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
    assert through_cache.early_exits
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


def test_a_chain_of_exits_settles_each_text_at_the_first_exit_sure_of_it(guard: Guard, exit_heads: EarlyExit) -> None:
    first_exit = _fit_exit(guard, 2)
    normalized = [normalize(t) for t in TEXTS]
    e5 = guard.encoder.parts[0]  # type: ignore[attr-defined]
    lexical = guard._lexical(normalized)
    tier2, cats2, _ = first_exit.scores(np.hstack([e5.first_layers(2).encode(normalized), lexical]))
    tier3, cats3, _ = exit_heads.scores(np.hstack([e5.first_layers(LAYER).encode(normalized), lexical]))
    near2 = decision_margin(tier2, guard.taxonomy, cats=cats2, codes=guard.parts.category_codes)
    near3 = decision_margin(tier3, guard.taxonomy, cats=cats3, codes=guard.parts.category_codes)
    m2, m3 = float(np.quantile(near2, 0.7)), float(np.median(near3))  # some texts stop at each exit
    chain, full, staged, _ = _guards(guard, replace(first_exit, margin=m2), replace(exit_heads, margin=m3))
    got, want = chain.check_batch(TEXTS), full.check_batch(TEXTS)
    at2, at3 = near2 >= m2, (near2 < m2) & (near3 >= m3)
    assert at2.any() and at3.any() and not (at2 | at3).all()
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        if at2[i]:  # settled after 2 layers
            assert g.unsafe_score == pytest.approx(float(tier2[i, 2]), abs=1e-6)
        elif at3[i]:  # went on to layer 3 from layer 2, as if cut after 3
            assert g.unsafe_score == pytest.approx(float(tier3[i, 2]), abs=1e-6)
        else:  # the full verdict, exactly
            assert normalized[i] in staged.finished
            assert (g.unsafe_score, g.categories, g.reply) == (w.unsafe_score, w.categories, w.reply)
    assert set(staged.finished) == {normalized[i] for i in np.flatnonzero(~(at2 | at3))}
    single = [chain.check(t) for t in TEXTS]  # batch equals single (up to the heads' float rounding)
    assert [v.label for v in got] == [v.label for v in single]
    assert [v.unsafe_score for v in got] == pytest.approx([v.unsafe_score for v in single], abs=1e-5)
