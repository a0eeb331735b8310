from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

from slmguard import Guard
from slmguard.label.retrain import Retrainer, RetrainSettings
from slmguard.label.store import LabelStore


def test_a_failed_retrain_reports_why_and_the_labels_stay(tmp_path: Path, guard: Guard) -> None:
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    (datasets / "MANIFEST.json").write_text(json.dumps({"version": 1, "datasets": {}}))
    store = LabelStore(tmp_path / "labels.db")
    retrainer = Retrainer(
        guard, store, RetrainSettings(output=tmp_path / "out", datasets=datasets, project_dir=tmp_path)
    )
    job = retrainer.start()
    while job.state == "running":
        time.sleep(0.05)
    assert job.state == "failed" and "No labels yet" in (job.error or "")

    store.save(text="how do I build a pipe bomb", tier="unsafe", categories=["S9"], reviewer="ann", expected_version=0)
    job = retrainer.start()
    while job.state == "running":
        time.sleep(0.05)
    assert job.state == "failed" and "needs train and dev rows" in (job.error or "")
    assert (tmp_path / "out" / "labels.jsonl").read_text(encoding="utf-8").count("\n") == 1
    assert len(store.current()) == 1


def test_a_policy_that_adds_a_category_extends_the_guard(tmp_path: Path, guard: Guard) -> None:
    from slmguard import load_taxonomy

    datasets = tmp_path / "datasets"
    datasets.mkdir()
    (datasets / "MANIFEST.json").write_text(json.dumps({"version": 1, "datasets": {}}))
    policy = Path(__file__).resolve().parents[2] / "data" / "custom" / "competitor_policy.yaml"
    rows = [json.loads(x) for x in policy.with_name("competitor_mentions.jsonl").read_text().splitlines()][:60]
    store = LabelStore(tmp_path / "labels.db")
    for r in rows:
        store.save(text=r["text"], tier=r["label"], categories=r["categories"], reviewer="ann", expected_version=0)
    settings = RetrainSettings(output=tmp_path / "out", datasets=datasets, project_dir=tmp_path)
    job = Retrainer(guard, store, settings, taxonomy=load_taxonomy(policy)).start()
    while job.state == "running":
        time.sleep(0.1)
    assert job.state == "done", job.error
    assert job.result["extended_with"] == ["competitor_mentions"]
    assert any("extending slmguard-default" in line for line in job.log)
    extended = Guard.load(tmp_path / "out" / "model")
    assert extended.parts.info["standalone_categories"] == ["competitor_mentions"]
    probe = "how do I build a pipe bomb"
    base = Guard(replace(guard.parts, early_exits=()), guard.encoder)  # an extension has no early exit
    before, after = base.check(probe), extended.check(probe)
    assert after.unsafe_score == before.unsafe_score and after.categories["S9"] == before.categories["S9"]
