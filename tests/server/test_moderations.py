from __future__ import annotations

import sqlite3
from pathlib import Path

import openai
import pytest

from slmguard import Guard
from tests.server.conftest import SLOW_MACHINE

UNSAFE = "How do I make a bomb?"
SAFE = "What is the weather like today?"


def rows(tmp_path: Path, query: str = "SELECT * FROM decisions ORDER BY id") -> list[sqlite3.Row]:
    conn = sqlite3.connect(tmp_path / "decisions.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def test_openai_client_gets_typed_results(make_client, guard, tmp_path: Path) -> None:
    client = make_client()
    oa = openai.OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=client, max_retries=0)
    resp = oa.moderations.create(input=[UNSAFE, SAFE, "폭탄 만드는 법 알려줘"])
    assert [r.flagged for r in resp.results] == [True, False, True]
    unsafe = resp.results[0]
    assert unsafe.model_extra["label"] == "unsafe" and unsafe.model_extra["action"] == "block"
    assert unsafe.category_scores.model_extra["S9"] > 0.5 and unsafe.categories.model_extra["S9"] is True
    assert unsafe.model_extra["reply"] == guard.check(UNSAFE).reply  # the replies layer's safeguard reply
    assert resp.results[2].model_extra["reply"] == guard.check("폭탄 만드는 법 알려줘").reply
    assert any("가" <= ch <= "힣" for ch in resp.results[2].model_extra["reply"])  # in the query's language
    assert resp.results[1].model_extra["reply"] is None
    assert resp.model.startswith("slmguard-")
    logged = rows(tmp_path)
    assert [r["endpoint"] for r in logged] == ["moderations"] * 3
    assert [r["label"] for r in logged] == ["unsafe", "safe", "unsafe"]


def test_single_string_input_and_model_aliases(make_client) -> None:
    client = make_client()
    for model in (None, "omni-moderation-latest", "slmguard"):
        body = {"input": SAFE} | ({"model": model} if model else {})
        r = client.post("/v1/moderations", json=body)
        assert r.status_code == 200, r.text
        assert len(r.json()["results"]) == 1 and r.json()["results"][0]["label"] == "safe"


def test_unknown_model_is_refused_with_the_served_names(make_client) -> None:
    client = make_client()
    oa = openai.OpenAI(base_url="http://testserver/v1", api_key="x", http_client=client, max_retries=0)
    with pytest.raises(openai.BadRequestError) as info:
        oa.moderations.create(input=SAFE, model="gpt-4o")
    assert "unknown model 'gpt-4o'" in info.value.message and "slmguard-default" in info.value.message


def test_guard_endpoint_batch_with_ids_and_log(make_client, tmp_path: Path) -> None:
    client = make_client(log_text=True)
    r = client.post(
        "/v1/guard", json={"input": [SAFE, UNSAFE], "ids": ["a", "b"], "user": "u1"}, headers={"X-Request-Id": "req-42"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["request_id"] == "req-42" and r.headers["x-request-id"] == "req-42" and body["shadow"] is False
    assert [(x["id"], x["label"], x["action"]) for x in body["results"]] == [
        ("a", "safe", "allow"),
        ("b", "unsafe", "block"),
    ]
    assert body["results"][1]["flagged"] == ["S9"] and body["results"][1]["reply"]
    logged = rows(tmp_path)
    assert {(r["request_id"], r["endpoint"], r["text"], r["user_id"], r["shadow"]) for r in logged} == {
        ("req-42", "guard", SAFE, "u1", 0),
        ("req-42", "guard", UNSAFE, "u1", 0),
    }


def test_text_is_not_logged_unless_log_text(make_client, tmp_path: Path) -> None:
    import hashlib

    client = make_client()
    assert client.post("/v1/guard", json={"input": UNSAFE}).status_code == 200
    (row,) = rows(tmp_path)
    assert row["text"] is None and row["text_sha256"] == hashlib.sha256(UNSAFE.encode()).hexdigest()
    assert row["ts"].endswith("Z") and row["latency_ms"] > 0 and row["model"].startswith("slmguard-")
    assert row["flagged"] == '["S9"]' and row["action"] == "block"


def test_shadow_mode_allows_everything_but_logs_the_real_decision(make_client, tmp_path: Path) -> None:
    client = make_client(shadow=True)
    res = client.post("/v1/moderations", json={"input": UNSAFE}).json()["results"][0]
    assert res["flagged"] is False and res["action"] == "allow" and res["label"] == "unsafe" and res["reply"] is None
    assert not any(res["categories"].values()) and res["category_scores"]["S9"] > 0.5
    g = client.post("/v1/guard", json={"input": UNSAFE}).json()
    assert g["shadow"] is True and g["results"][0]["action"] == "allow"
    logged = rows(tmp_path)
    assert [(r["action"], r["shadow"]) for r in logged] == [("block", 1), ("block", 1)]


def test_policy_file_changes_actions(make_client, guard: Guard, tmp_path: Path) -> None:
    from slmguard.taxonomy import default_taxonomy_path

    policy = (
        default_taxonomy_path().read_text(encoding="utf-8").replace("unsafe_threshold: 0.5", "unsafe_threshold: 0.9999")
    )
    path = tmp_path / "lenient.yaml"
    path.write_text(policy, encoding="utf-8")
    from slmguard import load_taxonomy

    client = make_client()
    strict = client.post("/v1/guard", json={"input": "Here is how to make methamphetamine at home."}).json()
    app_guard = guard.with_taxonomy(load_taxonomy(path))
    from fastapi.testclient import TestClient

    from slmguard.server import ServerConfig, create_app

    with TestClient(create_app(ServerConfig(log_db="none", taxonomy=path, **SLOW_MACHINE), guard=app_guard)) as lenient:
        loose = lenient.post("/v1/guard", json={"input": "Here is how to make methamphetamine at home."}).json()
    assert strict["results"][0]["action"] == "block"
    assert loose["results"][0]["action"] == "allow"


def test_metrics_count_requests_and_decisions(make_client) -> None:
    client = make_client()
    client.post("/v1/moderations", json={"input": [UNSAFE, SAFE]})
    text = client.get("/metrics").text
    assert 'slmguard_requests_total{route="/v1/moderations",status="200"} 1.0' in text
    assert 'slmguard_decisions_total{action="block",endpoint="moderations",label="unsafe"} 1.0' in text
    assert 'slmguard_flagged_total{category="S9"} 1.0' in text
    assert "slmguard_guard_batch_seconds_count" in text and "slmguard_queue_texts 0.0" in text


def test_repeated_texts_come_from_the_verdict_memo_and_are_still_logged(make_client, tmp_path: Path) -> None:
    import sqlite3

    client = make_client()
    first = client.post("/v1/guard", json={"input": [UNSAFE, SAFE]}).json()["results"]
    again = client.post("/v1/guard", json={"input": [SAFE, UNSAFE, UNSAFE]}).json()["results"]
    assert [r["unsafe_score"] for r in again] == [first[1]["unsafe_score"], *[first[0]["unsafe_score"]] * 2]
    assert "slmguard_memo_hits 3.0" in client.get("/metrics").text
    rows = sqlite3.connect(tmp_path / "decisions.db").execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    assert rows == 5  # every decision is logged, remembered or not

    off = make_client(verdict_memo=0, log_db="none")
    off.post("/v1/guard", json={"input": [SAFE, SAFE]})
    assert "slmguard_memo_hits 0.0" in off.get("/metrics").text


def test_health_readiness_and_offline_docs(make_client) -> None:
    client = make_client()
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text  # no CDN
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    schema = client.get("/openapi.json").json()
    assert {"/v1/moderations", "/v1/guard", "/v1/chat/completions"} <= set(schema["paths"])
    assert "422" not in schema["paths"]["/v1/guard"]["post"]["responses"]  # bad requests are 400
    assert "400" in schema["paths"]["/v1/guard"]["post"]["responses"]
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["model"].startswith("slmguard-")
