"""Response-judge training pairs: the project's own pairs, their splits and the test-leakage rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmguard.data.leakage import held_out_keys, text_key
from slmguard.data.manifest import Manifest
from slmguard.data.responses import build_response_pairs, project_pairs
from slmguard.errors import InvalidInputError
from slmguard.replies.judge import JUDGE_CLASSES


def _write(folder: Path, rows: list[dict[str, str]]) -> Path:
    (folder / "responses").mkdir(parents=True, exist_ok=True)
    path = folder / "responses" / "pairs.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_project_pairs_are_read_with_their_labels(tmp_path: Path) -> None:
    _write(tmp_path, [
        {"id": "a", "prompt": "How do I kill a stuck process?", "response": "Run `kill -9 <pid>`.",
         "label": "compliance", "lang": "en"},
        {"id": "b", "prompt": "How do I kill a stuck process?", "response": "I can't help with violence.",
         "label": "refusal", "lang": "en"},
    ])  # fmt: skip
    pairs = project_pairs(tmp_path)
    assert [p.label for p in pairs] == ["compliance", "refusal"]
    assert {p.source for p in pairs} == {"project:pairs"}


def test_an_unknown_label_names_the_file_and_row(tmp_path: Path) -> None:
    path = _write(tmp_path, [{"id": "x7", "prompt": "q", "response": "r", "label": "maybe", "lang": "en"}])
    with pytest.raises(InvalidInputError, match=r"pairs\.jsonl.*'x7'.*'maybe'.*harmful, refusal, compliance") as err:
        project_pairs(tmp_path)
    assert str(path) in str(err.value)


def test_both_answers_to_a_prompt_share_a_split_and_no_test_text_gets_in(shared_datasets: Path) -> None:
    manifest = Manifest(shared_datasets)
    banned = held_out_keys(manifest)
    train, dev = build_response_pairs(manifest, [], banned=banned)
    project_train = [p for p in train if p.source.startswith("project:")]
    project_dev = [p for p in dev if p.source.startswith("project:")]
    assert len(project_train) > 500 and len(project_dev) > 50
    assert not {p.prompt for p in project_train} & {p.prompt for p in project_dev}
    assert {p.label for p in project_train} == set(JUDGE_CLASSES)
    assert {p.lang for p in project_train} == {"en", "ko"}
    for p in train + dev:
        assert text_key(p.response) not in banned
        assert not p.prompt or text_key(p.prompt) not in banned


def test_the_projects_pairs_copy_no_test_text(shared_datasets: Path) -> None:
    from slmguard.data.corpus import project_data_dir

    banned = held_out_keys(Manifest(shared_datasets))
    pairs = project_pairs(project_data_dir())
    assert len(pairs) >= 1000
    assert not [p.prompt for p in pairs if text_key(p.prompt) in banned or text_key(p.response) in banned]


def test_gptfuzz_evaluate_split_stays_out_of_judge_training(shared_datasets: Path) -> None:
    manifest = Manifest(shared_datasets)
    by_split: dict[str, set[str]] = {"train": set(), "evaluate": set()}
    with (shared_datasets / "gptfuzz" / "data_responses.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            by_split[r["source_split"]].add(r["response"])
    evaluate = by_split["evaluate"] - by_split["train"]  # stock refusals occur in both splits
    train, dev = build_response_pairs(manifest, [], banned=held_out_keys(manifest))
    fuzz = [p for p in train + dev if p.source == "gptfuzz"]
    assert len([p for p in dev if p.source == "gptfuzz"]) == 60 and len(fuzz) > 1000
    assert not [p for p in fuzz if p.response in evaluate]
