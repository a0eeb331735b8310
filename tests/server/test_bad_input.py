"""Every bad request gets a 4xx whose message says what is wrong, and the server stays healthy."""

from __future__ import annotations

import pytest

from tests.server.conftest import SLOW_MACHINE


@pytest.fixture(scope="module")
def client(guard, tmp_path_factory):
    from fastapi.testclient import TestClient

    from slmguard.server import ServerConfig, create_app

    db = tmp_path_factory.mktemp("bad") / "d.db"
    with TestClient(create_app(ServerConfig(log_db=f"sqlite:///{db}", **SLOW_MACHINE), guard=guard)) as c:
        yield c
    assert c  # the module's requests are done


CASES = [
    ("malformed JSON", b'{"input": "hi"', 400, "not valid JSON"),
    ("wrong type", b'{"input": 123}', 400, "'input': must be a string or a list of strings, got int"),
    ("list of numbers", b'{"input": ["a", 2]}', 400, "item 1 is int 2; every item must be a string"),
    ("empty string", b'{"input": ""}', 400, "empty"),
    ("whitespace", b'{"input": "   "}', 400, "empty"),
    ("empty list", b'{"input": []}', 400, "empty list"),
    ("missing input", b'{"model": "slmguard"}', 400, "'input': Field required"),
    ("unknown field", b'{"input": "hi", "foo": 1}', 400, "'foo': Extra inputs are not permitted"),
    ("not an object", b'["hi"]', 400, "valid dictionary"),
    ("no body", b"", 400, "needs a JSON body"),
    ("invalid UTF-8", b'{"input": "\xff\xfe"}', 400, "not valid UTF-8"),
    ("lone surrogate", b'{"input": "\\ud800"}', 400, "lone UTF-16 surrogate"),
    ("100,000 inputs", b'{"input": [' + b",".join([b'"a"'] * 100_000) + b"]}", 400, "100000 texts; at most 256"),
    ("10 MB body", b'{"input": "' + b"a" * 10_000_000 + b'"}', 413, "larger than 1000000 bytes"),
]


@pytest.mark.parametrize(("name", "body", "status", "words"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("path", ["/v1/moderations", "/v1/guard"])
def test_bad_body(client, path: str, name: str, body: bytes, status: int, words: str) -> None:
    r = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert words in error["message"], error
    assert error["type"] == "invalid_request_error"


def test_wrong_content_type_and_unknown_path(client) -> None:
    r = client.post("/v1/guard", content=b"input=hi", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]["message"]
    r = client.get("/v1/nothing")
    assert r.status_code == 404 and "no such endpoint" in r.json()["error"]["message"]
    assert client.get("/v1/guard").status_code == 405


def test_body_without_content_type_is_read_as_json(client) -> None:
    r = client.post("/v1/guard", content=b'{"input": "hello"}', headers={"Content-Type": ""})
    assert r.status_code == 200, r.text


def test_chat_bad_messages(client) -> None:
    r = client.post("/v1/chat/completions", json={"model": "x", "messages": []})
    assert r.status_code == 400 and "'messages'" in r.json()["error"]["message"]
    r = client.post("/v1/chat/completions", json={"model": "x", "messages": [{"role": "robot", "content": "hi"}]})
    assert r.status_code == 400 and "'messages.0.role'" in r.json()["error"]["message"]


def test_still_healthy_after_bad_input(client) -> None:
    assert client.get("/readyz").status_code == 200
    assert client.post("/v1/guard", json={"input": "hello"}).json()["results"][0]["label"] == "safe"
