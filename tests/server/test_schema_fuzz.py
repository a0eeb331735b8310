from __future__ import annotations

from slmguard import Guard
from slmguard.server import ServerConfig, create_app
from tests.server.conftest import SLOW_MACHINE
from tests.server.fake_upstream import ServerThread
from tests.server.fuzz import judge, run_fuzz


def test_judge_catches_bad_responses() -> None:
    assert judge(200, b"{}") is None
    assert judge(400, b'{"error": {"message": "input is empty"}}') is None
    assert judge(500, b"boom").startswith("server error")
    assert "without an error message" in judge(422, b'{"detail": []}')


def test_fuzzed_requests_get_no_5xx_and_clear_4xx(guard: Guard, upstream, tmp_path) -> None:
    cfg = ServerConfig(
        log_db=f"sqlite:///{tmp_path / 'd.db'}", upstream_url=f"{upstream.url}/v1", max_inputs=16, **SLOW_MACHINE
    )
    with ServerThread(create_app(cfg, guard=guard)) as server:
        report = run_fuzz(server.url, examples=8)
    assert report["requests"] >= 50
    assert report["problems"] == [], report
    assert any(k.startswith("4") for k in report["statuses"]) and "200" in report["statuses"]
