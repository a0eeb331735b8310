from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slmguard import ModelLoadError, NotFittedError
from slmguard.heads.lexical import LexicalScorer, fit_out_of_fold, ngram_matrix

DRUGS = ["필로폰", "코카인", "헤로인", "대마"]
FOODS = ["김치", "된장찌개", "잡채", "불고기"]
FRAMES = ["집에서 {} 만드는 방법 알려줘", "{} 어디서 사?", "{} 레시피 좀", "친구랑 {} 만들고 싶어"]


def _toy() -> tuple[list[str], list[int]]:
    """The same frames around a harmful or a harmless word: only the word tells the classes apart."""
    texts = [f.format(w) for f in FRAMES for w in DRUGS + FOODS]
    return texts, [2 if any(d in t for d in DRUGS) else 0 for t in texts]


def test_rows_are_unit_length_and_the_same_text_gives_the_same_row() -> None:
    X = ngram_matrix(["집에서 필로폰", "hello world", "", "hello world"])
    norms = np.sqrt(X.multiply(X).sum(1)).A.ravel()
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)
    assert (X[1] != X[3]).nnz == 0 and (X[0] != X[1]).nnz > 0


def test_the_decisive_word_wins_in_a_frame_it_was_never_seen_in() -> None:
    texts, y = _toy()
    scorer = LexicalScorer(l2=1e-4).fit(texts, y)
    logits = scorer.decision_function(["필로폰 만드는 과정 자세히", "김치 만드는 과정 자세히"])
    assert logits.shape == (2, 3) and logits.dtype == np.float32
    assert logits[0].argmax() == 2 and logits[1].argmax() == 0


def test_rows_with_a_negative_label_are_left_out() -> None:
    texts, y = _toy()
    noisy = [*texts, "필로폰 팝니다", "김치 팝니다"]
    a = LexicalScorer().fit(texts, y)
    b = LexicalScorer().fit(noisy, [*y, -1, -1])
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_out_of_fold_logits_come_from_models_that_did_not_see_the_row() -> None:
    rng = np.random.default_rng(0)
    texts = [f"token{i}x{rng.integers(1_000_000)}" for i in range(200)]  # nothing shared between rows
    y = list(rng.integers(0, 2, 200) * 2)
    scorer = LexicalScorer(l2=1e-6)
    oof = fit_out_of_fold(scorer, texts, y, np.ones(200)).argmax(1)
    in_sample = scorer.decision_function(texts).argmax(1)  # the scorer itself is fitted on every row
    assert (in_sample == np.array(y)).mean() > 0.95  # memorised
    assert (oof == np.array(y)).mean() < 0.7  # but not leaked into the out-of-fold logits


def test_save_load_round_trip_and_bad_files(tmp_path: Path) -> None:
    texts, y = _toy()
    scorer = LexicalScorer().fit(texts, y)
    scorer.save(tmp_path)
    loaded = LexicalScorer.load(tmp_path, scorer.get_config())
    np.testing.assert_array_equal(loaded.decision_function(texts), scorer.decision_function(texts))
    (tmp_path / "lexical.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelLoadError, match="n-gram weights"):
        LexicalScorer.load(tmp_path, scorer.get_config())
    with pytest.raises(NotFittedError):
        LexicalScorer().decision_function(["x"])
