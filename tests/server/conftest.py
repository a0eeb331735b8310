"""Server fixtures: an app around the session Guard, the fake upstream, and a real PostgreSQL server."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from slmguard import Guard
from slmguard.server import ServerConfig, create_app
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


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free loopback port, run as the `postgres` user when we are root."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (initdb) on this machine; .ci/run installs the 'postgresql' package")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the PostgreSQL server as")
    root = Path(tempfile.mkdtemp(prefix="slmguard-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = fake_upstream.free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "guard", "--auth=trust", "-E", "UTF8", "--no-sync")
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(root / "log"),
        "-w",
        "-t",
        "60",
        "-o",
        f"-p {port} -h 127.0.0.1 -k {root} -F",
        "start",
    )
    try:
        url = f"postgresql://guard@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        import psycopg

        while True:
            try:
                psycopg.connect(url).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)
