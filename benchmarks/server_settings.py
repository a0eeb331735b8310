"""`slmguard serve` under different process settings (environment variables), alternating in one run.

Run: python benchmarks/server_settings.py [--duration 20] [--rounds 2] [--setting "OMP_WAIT_POLICY=PASSIVE" ...]
For each setting (plus the defaults), a fresh server on 127.0.0.1 with the verdict memo off gets:
64 closed-loop clients of single-text /v1/moderations for `--duration` s, first with the eight short
texts of `server_load.py`, then with its mixed dev queries; then 60 sequential non-streamed chat
completions through the proxy to the fake upstream (guard's added p50, as in `server_load.py`).
The CPU seconds the server process and this load generator used are recorded with each run: on
2 cores they share the machine, so what one takes the other lacks.
Writes benchmarks/results/server_settings.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import tempfile
from pathlib import Path
from typing import Any

from server_load import (
    free_port,
    guard_share,
    load,
    metric_values,
    proxy_overhead,
    start_server,
    start_upstream,
    wait_ready,
)
from speed import mixed_queries

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "server_settings.json"
SETTINGS = ("OMP_WAIT_POLICY=PASSIVE", "OMP_NUM_THREADS=1", "GOMP_SPINCOUNT=10000")
"""Compared with the defaults unless --setting is given: how PyTorch's OpenMP threads wait, and how many."""


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured_load(url: str, server_pid: int, **kwargs: Any) -> dict[str, Any]:
    """`server_load.load` with the guard's share and both processes' CPU seconds."""
    before, server0, client0 = metric_values(url), process_cpu_s(server_pid), own_cpu_s()
    result = asyncio.run(load(url, **kwargs))
    result["server_cpu_s"] = round(process_cpu_s(server_pid) - server0, 1)
    result["load_generator_cpu_s"] = round(own_cpu_s() - client0, 1)
    result["guard"] = guard_share(url, since=before)
    return result


def parse(setting: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in setting.split(",") if part)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--setting", action="append", help="VAR=VALUE[,VAR=VALUE]; repeatable")
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--clients", type=int, default=64)
    args = ap.parse_args()
    settings = ["", *(args.setting or SETTINGS)]
    up_port = free_port()
    upstream = start_upstream(up_port)
    up_url = f"http://127.0.0.1:{up_port}"
    mixed = mixed_queries(2000)
    runs: dict[str, list[dict[str, Any]]] = {s or "defaults": [] for s in settings}
    try:
        wait_ready(f"{up_url}/docs", upstream)
        for r in range(args.rounds):
            for setting in settings if r % 2 == 0 else settings[::-1]:
                port = free_port()
                db = Path(tempfile.mkdtemp(prefix="slmguard-settings-")) / "d.db"
                server = start_server(port, db, up_port, SLMGUARD_VERDICT_MEMO="0", **parse(setting))
                url = f"http://127.0.0.1:{port}"
                try:
                    wait_ready(f"{url}/readyz", server)
                    run = {
                        "short": measured_load(url, server.pid, clients=args.clients, seconds=args.duration),
                        "mixed": measured_load(
                            url, server.pid, clients=args.clients, seconds=args.duration, texts=mixed
                        ),
                        "proxy": proxy_overhead(url, up_url, 60),
                    }
                finally:
                    server.terminate()
                    server.wait(30)
                print(setting or "defaults", json.dumps(run), flush=True)
                runs[setting or "defaults"].append(run)
    finally:
        upstream.terminate()
        upstream.wait(30)

    def median(name: str, part: str, key: str) -> float:
        return round(statistics.median(run[part][key] for run in runs[name]), 1)

    summary = {
        name: {
            "short_rps": median(name, "short", "rps"),
            "short_server_cpu_s": median(name, "short", "server_cpu_s"),
            "mixed_rps": median(name, "mixed", "rps"),
            "mixed_server_cpu_s": median(name, "mixed", "server_cpu_s"),
            "proxy_added_p50_ms": median(name, "proxy", "added_p50_ms"),
        }
        for name in runs
    }
    result = {"clients": args.clients, "seconds": args.duration, "rounds": args.rounds, "median": summary, "runs": runs}
    print(json.dumps(summary, indent=2))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
