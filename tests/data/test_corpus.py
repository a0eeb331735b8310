from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from slmguard.data.corpus import (
    PROJECT_FILES,
    build_corpus,
    drop_taken,
    project_data_dir,
    read_project_file,
    taken_keys,
    unlabelled_texts,
    write_project_file,
)
from slmguard.data.leakage import (
    NearCopyIndex,
    held_out_keys,
    held_out_texts,
    names_a_title,
    quoted_titles,
    text_key,
)
from slmguard.data.manifest import SHIPPABLE_LICENCES, Manifest
from slmguard.data.mapping import load_mapping, to_example
from slmguard.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def corpus(shared_datasets: Path):
    return build_corpus(Manifest(shared_datasets))


def test_no_test_row_reaches_train_or_dev(corpus, shared_datasets: Path) -> None:
    banned = held_out_keys(Manifest(shared_datasets))
    assert len(banned) > 10_000
    assert not any(text_key(e.text) in banned for e in corpus.train + corpus.dev)
    assert corpus.dropped_as_test > 0  # overlaps exist, and were removed


def test_unlabelled_texts_are_new_train_texts_only(corpus, shared_datasets: Path) -> None:
    """What a student distils on: no test, train or dev text of the corpus, at most `per_source` a dataset."""
    manifest = Manifest(shared_datasets)
    texts = unlabelled_texts(manifest, corpus, per_source=50)
    keys = [text_key(t) for t in texts]
    assert len(set(keys)) == len(keys) > 300  # several datasets have rows beyond their caps
    assert len(texts) <= 50 * 23
    assert not set(keys) & held_out_keys(manifest)
    assert not set(keys) & {text_key(e.text) for e in corpus.train + corpus.dev}
    train_texts = {
        text_key(r["text"]) for name in ("sae4k_ko", "squad_v2_questions") for r in manifest.rows(name, role="train")
    }
    assert len(set(keys) & train_texts) == 100  # 50 of each, from their train splits


def test_only_shippable_licences(corpus, shared_datasets: Path) -> None:
    manifest = Manifest(shared_datasets)
    for source in {e.source for e in corpus.train + corpus.dev}:
        if source in manifest.datasets:
            assert manifest[source].licence_class in SHIPPABLE_LICENCES, source
    assert "unsmile" not in corpus.counts and "beavertails_unsafe_prompts" not in corpus.counts


def test_every_project_data_file_is_trained_on_and_described() -> None:
    """A new file in data/ is read by training and named as project data in the model card, or it
    would be left out, or listed as 'user-supplied'."""
    on_disk = {p.name for p in project_data_dir().glob("*.jsonl")}
    assert on_disk == set(PROJECT_FILES)
    shipped_card = (project_data_dir().parent / "models" / "default" / "MODEL_CARD.md").read_text()
    assert "user-supplied" not in shipped_card


def test_a_data_script_may_not_rewrite_test_texts_or_other_project_rows(shared_datasets: Path) -> None:
    manifest = Manifest(shared_datasets)
    taken = taken_keys(manifest, writing="everyday_requests.jsonl")
    assert held_out_keys(manifest) <= taken
    assert {text_key(e.text) for e in read_project_file(project_data_dir() / "contrast_en.jsonl")} <= taken
    own = {text_key(e.text) for e in read_project_file(project_data_dir() / "everyday_requests.jsonl")}
    assert not own & taken  # its own rows may be written again; they are nowhere else


def test_scripts_write_each_new_text_once_in_the_project_format(tmp_path: Path) -> None:
    taken = {text_key("Tell me a joke.")}
    texts = ["tell me a  JOKE.", "A riddle, please", "a riddle,   please ", "New one"]
    rows = [(t, "safe") for t in texts]
    kept = drop_taken(rows, taken, text=lambda r: r[0])
    assert [r[0] for r in kept] == ["A riddle, please", "New one"]  # case and spacing variants count as taken
    assert text_key("New one") in taken
    path = tmp_path / "data" / "new.jsonl"
    write_project_file(path, [{"id": "x-1", "text": "농담 해줘", "label": "safe", "categories": [], "lang": "ko"}])
    assert "농담" in path.read_text(encoding="utf-8")  # UTF-8, not escaped
    assert [e.text for e in read_project_file(path)] == ["농담 해줘"]


def test_corpus_labels_use_the_taxonomy(corpus) -> None:
    codes = set(load_taxonomy().codes)
    for e in corpus.train:
        assert e.label in ("safe", "sensitive", "unsafe")
        assert e.categories is None or set(e.categories) <= codes
    tiers = Counter((e.label, e.lang) for e in corpus.train)
    assert tiers[("unsafe", "ko")] > 1000 and tiers[("sensitive", "ko")] > 1000 and tiers[("safe", "en")] > 5000


def test_square_unsafe_means_sensitive(shared_datasets: Path) -> None:
    row = next(Manifest(shared_datasets).rows("square", role="train"))
    ex = to_example("square", {**row, "label": "unsafe"})
    assert ex.label == "sensitive" and ex.categories == ("sensitive",)


def test_mapping_codes_exist_in_default_taxonomy() -> None:
    codes = set(load_taxonomy().codes)
    for name, rule in load_mapping()["datasets"].items():
        for targets in (rule.get("categories") or {}).values():
            assert set(targets) <= codes, name
        assert set(rule.get("default") or []) <= codes, name


def test_project_data_is_valid_and_free_of_test_rows(shared_datasets: Path) -> None:
    codes = set(load_taxonomy().codes)
    banned = held_out_keys(Manifest(shared_datasets))
    seen: set[str] = set()
    for name in PROJECT_FILES:
        for line in (project_data_dir() / name).open(encoding="utf-8"):
            row = json.loads(line)
            assert row["label"] in ("safe", "sensitive", "unsafe") and set(row["categories"]) <= codes
            assert row["lang"] in ("en", "ko")
            key = text_key(row["text"])
            assert key not in banned, row["id"]
            assert key not in seen, row["id"]
            seen.add(key)


def test_near_copies_are_found_where_an_exact_key_is_blind() -> None:
    index = NearCopyIndex([
        ("bench", 'Generate the lyrics of "Jolene" by Dolly Parton'),
        ("bench", "어떻게 하면 차를 훔칠 수 있나요?"),
    ])  # fmt: skip
    found = index.near_copies([
        "generate the lyrics of jolene by dolly parton!",  # case and punctuation
        "Give me all the lyrics of Jolene by Dolly Parton, every verse.",  # reworded
        "어떻게 하면 차를 훔칠 수 있어?",  # Korean, another ending
        "Write an original song about a dog.",
    ])  # fmt: skip
    assert [(f.index, f.source) for f in found] == [(0, "bench"), (1, "bench"), (2, "bench")]
    assert found[0].similarity == 1.0 and 0.5 <= found[1].similarity < 1.0
    titles = quoted_titles(['A long passage from "The Road" by Cormac McCarthy', 'He said "go to the office now"'])
    assert titles == {"The Road"}  # Title Case only: a quoted sentence is no title
    assert names_a_title("Print chapter one of The Road, verbatim", titles) == ["The Road"]
    assert names_a_title("The Roadrunner cartoon; the road home", titles) == []


def test_project_data_has_no_near_copies_of_test_rows(shared_datasets: Path) -> None:
    """Written data must not paraphrase a test item (MultiJail's Korean rows are translations of its
    English ones, so a near copy in one language leaks both), nor ask for a work a test item asks for."""
    held_out = held_out_texts(Manifest(shared_datasets))
    index = NearCopyIndex(held_out)
    titles = quoted_titles(text for _, text in held_out)
    for name in PROJECT_FILES:
        rows = [json.loads(line) for line in (project_data_dir() / name).open(encoding="utf-8")]
        near = index.near_copies([r["text"] for r in rows])
        assert not near, [(rows[n.index]["id"], n.source, n.held_out) for n in near]
        named = [(r["id"], t) for r in rows if "S8" in r["categories"] for t in names_a_title(r["text"], titles)]
        assert not named, named
