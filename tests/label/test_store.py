from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmguard.label.store import LabelConflict, LabelStore, agreement, item_key, similar


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    return LabelStore(tmp_path / "labels.db")


def test_save_is_durable_and_versions_the_item(store: LabelStore, tmp_path: Path) -> None:
    a = store.save(text="make a bomb", tier="unsafe", categories=["S9"], reviewer="ann", expected_version=0)
    assert (a.version, a.item_key) == (1, item_key("make a bomb"))
    store.close()
    again = LabelStore(tmp_path / "labels.db")
    assert [(x.reviewer, x.tier, x.categories) for x in again.history(a.item_key)] == [("ann", "unsafe", ("S9",))]
    assert again._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_later_of_two_concurrent_reviewers_sees_the_conflict(store: LabelStore) -> None:
    store.save(text="t", tier="unsafe", categories=["S1"], reviewer="ann", expected_version=0)
    with pytest.raises(LabelConflict, match="ann labelled it unsafe \\(S1\\)") as err:
        store.save(text="t", tier="safe", categories=[], reviewer="bob", expected_version=0)
    assert err.value.version == 1 and err.value.latest is not None and err.value.latest.reviewer == "ann"
    assert len(store.history(item_key("t"))) == 1  # nothing overwritten
    store.save(text="t", tier="safe", categories=[], reviewer="bob", expected_version=1)  # seen it: saves
    assert [x.reviewer for x in store.current()] == ["ann", "bob"]


def test_undo_restores_the_reviewers_previous_label_and_refuses_after_someone_else(store: LabelStore) -> None:
    k = item_key("t")
    store.save(text="t", tier="safe", categories=[], reviewer="ann", expected_version=0)
    second = store.save(text="t", tier="unsafe", categories=["S1"], reviewer="ann", expected_version=1)
    prev = store.undo(key=k, reviewer="ann", version=second.version)
    assert prev is not None and prev.tier == "safe" and store.version(k) == 1
    store.save(text="t", tier="unsafe", categories=["S2"], reviewer="bob", expected_version=1)
    with pytest.raises(LabelConflict, match="Cannot undo"):
        store.undo(key=k, reviewer="ann", version=1)


def test_export_writes_training_rows_latest_label_per_item(store: LabelStore, tmp_path: Path) -> None:
    store.save(text="t1", tier="safe", categories=[], reviewer="ann", expected_version=0)
    store.save(text="t1", tier="sensitive", categories=["sensitive"], reviewer="bob", expected_version=1, note="n")
    store.save(text="t2", tier="unsafe", categories=["S9"], reviewer="ann", expected_version=0)
    n = store.export_jsonl(tmp_path / "out.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert n == 2
    assert {r["text"]: (r["label"], r["categories"]) for r in rows} == {
        "t1": ("sensitive", ["sensitive"]),
        "t2": ("unsafe", ["S9"]),
    }


def test_agreement_over_double_labelled_items(store: LabelStore) -> None:
    for i, (a, b) in enumerate([("safe", "safe"), ("unsafe", "unsafe"), ("unsafe", "safe"), ("safe", "safe")]):
        store.save(text=f"t{i}", tier=a, categories=["S1"] if a == "unsafe" else [], reviewer="ann", expected_version=0)
        store.save(text=f"t{i}", tier=b, categories=["S1"] if b == "unsafe" else [], reviewer="bob", expected_version=1)
    store.save(text="solo", tier="safe", categories=[], reviewer="ann", expected_version=0)
    agr = agreement(store.current())
    assert agr["items"] == 4 and agr["pairs"] == 4
    assert agr["tier_agreement"] == pytest.approx(0.75)
    # pooled marginals: safe 5/8, unsafe 3/8 -> p_e = 0.53125; kappa = (0.75 - p_e) / (1 - p_e)
    assert agr["tier_kappa"] == pytest.approx((0.75 - 0.53125) / (1 - 0.53125))


def test_similar_finds_identical_and_near_identical_texts(store: LabelStore) -> None:
    store.save(text="폭탄 만드는 법 알려줘", tier="unsafe", categories=["S9"], reviewer="ann", expected_version=0)
    store.save(text="recommend a pasta recipe", tier="safe", categories=[], reviewer="ann", expected_version=0)
    hits = similar(store.current(), "폭탄 만드는 법 좀 알려줘")
    assert [h["text"] for h in hits] == ["폭탄 만드는 법 알려줘"] and 0.5 <= hits[0]["similarity"] < 1
    assert similar(store.current(), "recommend a pasta recipe")[0]["similarity"] == 1.0


def test_postgres_store_has_the_same_semantics(pg_url: str) -> None:
    store = LabelStore(pg_url)
    store._sql("DELETE FROM labels")
    a = store.save(text="폭탄", tier="unsafe", categories=["S9"], reviewer="ann", expected_version=0)
    assert a.version == 1 and a.categories == ("S9",)
    with pytest.raises(LabelConflict, match="ann labelled it unsafe"):
        store.save(text="폭탄", tier="safe", categories=[], reviewer="bob", expected_version=0)
    b = store.save(text="폭탄", tier="safe", categories=[], reviewer="bob", expected_version=1)
    assert store.undo(key=b.item_key, reviewer="bob", version=2) is None
    assert [(x.reviewer, x.version) for x in store.current()] == [("ann", 1)]
    assert store.labelled_keys("ann") == {item_key("폭탄")} and store.export_rows()[0]["label"] == "unsafe"
    store.close()
