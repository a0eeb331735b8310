"""A throwaway PostgreSQL server for the tests that need a real one (decision log, label store, report).

The binaries come from Debian's `postgresql` package (.ci/run installs it); PostgreSQL refuses to
run as root, so as root the server runs as the `postgres` user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a server on a free loopback port, yield its URL, and remove it afterwards.

    Skips the calling test when psycopg, the binaries or (as root) the `postgres` user are missing.
    """
    psycopg = pytest.importorskip("psycopg")
    bindir = _bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (initdb) on this machine; .ci/run installs the 'postgresql' package")
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the PostgreSQL server as")
        as_user = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="slmguard-pg-"))
    if as_user:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()
    pg_ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "guard", "--auth=trust", "-E", "UTF8", "--no-sync")
        # the server must not hold our pipes: its output goes to a log file
        subprocess.run(
            [*pg_ctl, "-l", str(root / "log"), "-w", "-t", "60", "-o", f"-p {port} -h 127.0.0.1 -k {root} -F", "start"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )
        url = f"postgresql://guard@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
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
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
