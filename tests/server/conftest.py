"""Server fixtures: an app around the session Guard, the fake upstream, and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from slmguard import Guard
from slmguard.server import ServerConfig, create_app
from tests.postgres import throwaway_postgres
from tests.server import fake_upstream


@pytest.fixture(scope="session")
def upstream() -> Iterator[fake_upstream.ServerThread]:
    with fake_upstream.ServerThread(fake_upstream.app) as server:
        yield server


@pytest.fixture(scope="session")
def guard(guard: Guard) -> Guard:
    """The session guard after its first (slow) call, as `slmguard serve` warms it before /readyz says ready."""
    guard.check("warm-up")
    return guard


SLOW_MACHINE = {"guard_timeout_s": 120}
"""Test settings: a loaded CI machine must not turn into 503s."""


@pytest.fixture
def make_client(guard: Guard, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """make_client(**settings) -> a started TestClient; the decision log is a fresh SQLite file."""
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        settings.setdefault("log_db", f"sqlite:///{tmp_path / 'decisions.db'}")
        settings = {**SLOW_MACHINE, **settings}
        client = TestClient(create_app(ServerConfig(**settings), guard=guard), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server for the decision-log tests."""
    with throwaway_postgres() as url:
        yield url
