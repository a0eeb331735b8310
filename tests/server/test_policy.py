"""API keys, backpressure, timeouts and fail_mode, with a guard whose inference can be held back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from slmguard import Guard, Verdict
from slmguard.server import ServerConfig, create_app
from tests.server import fake_upstream


class GatedGuard:
    """The real guard behind a gate: inference waits until the test opens it."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.gate = threading.Event()
        self.model_name = guard.model_name
        self.calls: list[list[str]] = []

    def check_batch(self, texts: list[str]) -> list[Verdict]:
        self.calls.append(list(texts))
        self.gate.wait(20)
        return self.guard.check_batch(texts)


def wait_until(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_api_keys(make_client) -> None:
    client = make_client(api_keys=["k1", "k2"])
    body = {"input": "hello"}
    r = client.post("/v1/guard", json=body)
    assert r.status_code == 401 and "missing API key" in r.json()["error"]["message"]
    r = client.post("/v1/guard", json=body, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 403 and r.json()["error"]["message"] == "invalid API key"
    assert client.post("/v1/guard", json=body, headers={"Authorization": "Bearer k2"}).status_code == 200
    assert client.post("/v1/moderations", json=body, headers={"X-API-Key": "k1"}).status_code == 200
    assert client.get("/healthz").status_code == 200  # probes stay open


def test_concurrent_requests_share_one_encoder_call(guard: Guard) -> None:
    gated = GatedGuard(guard)
    app = create_app(ServerConfig(log_db="none", max_batch=32, max_wait_ms=0), guard=gated)  # type: ignore[arg-type]
    with TestClient(app) as client, ThreadPoolExecutor(8) as pool:
        first = pool.submit(client.post, "/v1/guard", json={"input": "first"})
        wait_until(lambda: bool(gated.calls))
        rest = [pool.submit(client.post, "/v1/guard", json={"input": f"text {i}"}) for i in range(7)]
        wait_until(lambda: app.state.slmguard.batcher.depth == 8)  # the 7 wait while the first is decided
        gated.gate.set()
        answers = [f.result().json()["results"][0] for f in [first, *rest]]
    assert [len(c) for c in gated.calls] == [1, 7]
    assert sorted(gated.calls[1]) == sorted(f"text {i}" for i in range(7))
    texts = ["first", *(f"text {i}" for i in range(7))]
    alone = [guard.check(t) for t in texts]  # each request got its own verdict back, not a batch-mate's
    assert [a["unsafe_score"] for a in answers] == pytest.approx([v.unsafe_score for v in alone], abs=1e-4)


def test_full_queue_answers_429_with_retry_after(guard: Guard) -> None:
    gated = GatedGuard(guard)
    app = create_app(ServerConfig(log_db="none", max_queue=2, max_wait_ms=0), guard=gated)  # type: ignore[arg-type]
    with TestClient(app) as client, ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.post, "/v1/guard", json={"input": "hello"})
        wait_until(lambda: app.state.slmguard.batcher.depth > 0)
        r = client.post("/v1/guard", json={"input": ["a", "b"]})
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        assert "queue is full" in r.json()["error"]["message"]
        gated.gate.set()
        assert first.result().status_code == 200
        assert "slmguard_rejected_total 1.0" in client.get("/metrics").text


def test_guard_timeout_is_503_on_moderation(guard: Guard) -> None:
    gated = GatedGuard(guard)
    with TestClient(create_app(ServerConfig(log_db="none", guard_timeout_s=0.2), guard=gated)) as client:  # type: ignore[arg-type]
        r = client.post("/v1/moderations", json={"input": "hello"})
        gated.gate.set()
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert "no verdict within 0.2 s" in r.json()["error"]["message"]


@pytest.mark.parametrize(("fail_mode", "upstream_called"), [("closed", False), ("open", True)])
def test_fail_mode_in_the_proxy(guard: Guard, upstream, fail_mode: str, upstream_called: bool) -> None:
    gated = GatedGuard(guard)
    cfg = ServerConfig(log_db="none", guard_timeout_s=0.2, fail_mode=fail_mode, upstream_url=f"{upstream.url}/v1")
    fake_upstream.app.state.calls.clear()
    with TestClient(create_app(cfg, guard=gated)) as client:  # type: ignore[arg-type]
        r = client.post("/v1/chat/completions", json={"model": "echo", "messages": [{"role": "user", "content": "Hi"}]})
        gated.gate.set()
    assert r.status_code == 200 and r.headers["x-slmguard-input-action"] == "undecided"
    assert bool(fake_upstream.app.state.calls) is upstream_called
    content = r.json()["choices"][0]["message"]["content"]
    assert content == ("You said: Hi" if upstream_called else "I can't help with that request.")


def test_an_unexpected_load_error_fails_readyz_instead_of_hanging(tmp_path, monkeypatch) -> None:
    from slmguard import Guard

    def broken(*args: object, **kwargs: object) -> Guard:
        raise RuntimeError("libgomp exploded")

    monkeypatch.setattr(Guard, "load", staticmethod(broken))
    with TestClient(create_app(ServerConfig(log_db="none"))) as client:
        deadline = time.monotonic() + 10
        while client.get("/readyz").json()["status"] == "loading" and time.monotonic() < deadline:
            time.sleep(0.05)
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "failed"
        assert r.json()["detail"] == "RuntimeError: libgomp exploded"


def test_readyz_while_the_model_loads(tmp_path) -> None:
    cfg = ServerConfig(log_db="none", model_path=tmp_path / "missing")
    with TestClient(create_app(cfg)) as client:
        deadline = time.monotonic() + 10
        while client.get("/readyz").json()["status"] == "loading" and time.monotonic() < deadline:
            time.sleep(0.05)
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "failed" and "missing" in r.json()["detail"]
        r = client.post("/v1/guard", json={"input": "hi"})
        assert r.status_code == 503 and "failed to load" in r.json()["error"]["message"]
        assert client.get("/healthz").status_code == 200
