from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from slmguard import Guard
from slmguard.label.app import LabelSettings, create_app
from tests.label.conftest import make_decision_log


@pytest.fixture
def client(query_file: Path, guard: Guard) -> Iterator[TestClient]:
    with TestClient(create_app(LabelSettings(input=query_file), guard=guard)) as c:
        yield c


def _next(client: TestClient, reviewer: str = "ann", **params: str) -> dict:
    r = client.get("/api/next", params={"reviewer": reviewer, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_queue_shows_verdict_explanation_and_history(client: TestClient) -> None:
    first = _next(client, strategy="flagged")
    assert first["item"]["label"] == "unsafe" and first["total"] < 10
    assert first["explanation"]["target"] == "unsafe" and any(w > 0 for w in first["explanation"]["weights"])
    key = first["item"]["key"]
    saved = client.post("/api/labels", json={"key": key, "tier": "unsafe", "categories": ["S9"], "reviewer": "ann"})
    assert saved.status_code == 200 and saved.json()["version"] == 1
    assert _next(client, strategy="flagged")["item"]["key"] != key  # ann moves on
    for_bob = _next(client, "bob", strategy="flagged")
    assert for_bob["item"]["key"] == key and for_bob["version"] == 1
    assert [h["reviewer"] for h in for_bob["history"]] == ["ann"]  # previous labels shown
    skipped = _next(client, "bob", strategy="flagged", skip=key)
    assert skipped["item"]["key"] != key and skipped["remaining"] == for_bob["remaining"] - 1


def test_bad_labels_are_refused_with_a_message_and_conflicts_reported(client: TestClient) -> None:
    key = _next(client)["item"]["key"]
    cases = [
        ({"tier": "safe", "categories": ["S1"]}, 422, "A safe label carries no category"),
        ({"tier": "unsafe", "categories": ["weapons"]}, 422, "Unknown category 'weapons'"),
        ({"tier": "sensitive", "categories": ["S9"]}, 422, "block category"),
    ]
    for body, status, message in cases:
        r = client.post("/api/labels", json={"key": key, "reviewer": "ann", **body})
        assert r.status_code == status and message in r.json()["detail"]
    assert client.post("/api/labels", json={"key": "nope", "tier": "safe", "reviewer": "ann"}).status_code == 404
    assert client.post("/api/labels", json={"key": key, "tier": "safe", "reviewer": ""}).status_code == 422
    ok = {"key": key, "tier": "safe", "categories": [], "expected_version": 0}
    assert client.post("/api/labels", json={**ok, "reviewer": "ann"}).status_code == 200
    late = client.post("/api/labels", json={**ok, "reviewer": "bob"})
    assert late.status_code == 409 and late.json()["latest"]["reviewer"] == "ann" and late.json()["version"] == 1
    assert client.get("/api/stats").json()["labelled_items"] == 1
    r = client.get("/api/next", params={"reviewer": "ann", "strategy": "category", "category": "S99"})
    assert r.status_code == 422 and "S99" in r.json()["detail"]


def test_export_and_agreement(client: TestClient) -> None:
    r = client.post("/api/retrain")
    assert r.status_code == 422 and "No labels yet" in r.json()["detail"]
    key = _next(client)["item"]["key"]
    client.post("/api/labels", json={"key": key, "tier": "safe", "reviewer": "ann"})
    client.post("/api/labels", json={"key": key, "tier": "safe", "reviewer": "bob", "expected_version": 1})
    assert client.get("/api/stats").json()["agreement"]["tier_agreement"] == 1.0
    rows = [json.loads(x) for x in client.get("/api/export.jsonl").text.splitlines()]
    assert len(rows) == 1 and rows[0]["label"] == "safe" and rows[0]["categories"] == []


def test_labels_go_into_the_decision_log_database(tmp_path: Path, guard: Guard) -> None:
    log = make_decision_log(
        tmp_path / "decisions.db", [{"text": "hello", "label": "safe", "unsafe_score": 0.4, "sensitive_score": 0.1}]
    )
    with TestClient(create_app(LabelSettings(input=log), guard=guard)) as c:
        key = _next(c)["item"]["key"]
        assert c.post("/api/labels", json={"key": key, "tier": "safe", "reviewer": "ann"}).status_code == 200
    rows = sqlite3.connect(log).execute("SELECT text, tier, reviewer FROM labels").fetchall()
    assert rows == [("hello", "safe", "ann")]


def test_a_user_taxonomy_adds_categories_to_label_with(query_file: Path, guard: Guard) -> None:
    policy = Path(__file__).resolve().parents[2] / "data" / "custom" / "competitor_policy.yaml"
    with TestClient(create_app(LabelSettings(input=query_file, taxonomy=policy), guard=guard)) as c:
        codes = [x["code"] for x in c.get("/api/config").json()["rules"]["categories"]]
        assert codes[-1] == "competitor_mentions" and "competitor_mentions" in codes
        key = _next(c)["item"]["key"]
        body = {"key": key, "tier": "sensitive", "categories": ["competitor_mentions"], "reviewer": "ann"}
        assert c.post("/api/labels", json=body).status_code == 200
        assert c.app.state.label.retrainer.taxonomy.codes[-1] == "competitor_mentions"  # retrains for it
