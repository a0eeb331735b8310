"""Fuzz the server's OpenAPI schema with schemathesis: at least `--min-requests` generated requests.

Every operation gets positive and negative cases; a response fails when it is a 5xx, or a 4xx
without an error message. The server runs in this process on 127.0.0.1 with the fake upstream.
Writes benchmarks/results/server_fuzz.json and benchmarks/sections/41-server-fuzz.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the fuzzer and the fake upstream live with the tests

from tests.server import fake_upstream  # noqa: E402
from tests.server.fuzz import run_fuzz  # noqa: E402

from slmguard import Guard  # noqa: E402
from slmguard.server import ServerConfig, create_app  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--min-requests", type=int, default=10_000)
    ap.add_argument("--examples", type=int, default=100, help="examples per operation and mode, per round")
    ap.add_argument("--max-seconds", type=float, default=4 * 3600, help="time budget; results are saved every round")
    args = ap.parse_args()
    guard = Guard.load()
    guard.check("warm-up")
    tmp = Path(tempfile.mkdtemp(prefix="slmguard-fuzz-"))
    totals: dict[str, int] = {}
    problems: list[str] = []
    requests = unsendable = rounds = 0
    t0 = time.perf_counter()
    deadline = time.monotonic() + args.max_seconds
    with fake_upstream.ServerThread(fake_upstream.app) as up:
        cfg = ServerConfig(log_db=f"sqlite:///{tmp / 'd.db'}", upstream_url=f"{up.url}/v1", max_inputs=4)
        with fake_upstream.ServerThread(create_app(cfg, guard=guard)) as server:
            while requests < args.min_requests and time.monotonic() < deadline:
                report = run_fuzz(server.url, examples=args.examples, seed=rounds, progress=True, deadline=deadline)
                rounds += 1
                requests += report["requests"]
                unsendable += report["unsendable"]
                problems += report["problems"]
                for k, v in report["statuses"].items():
                    totals[k] = totals.get(k, 0) + v
                print(f"round {rounds}: {requests} requests, {len(problems)} problems", flush=True)
                write(args, requests, rounds, totals, problems, unsendable, time.perf_counter() - t0)


def write(
    args: argparse.Namespace,
    requests: int,
    rounds: int,
    totals: dict[str, int],
    problems: list[str],
    unsendable: int,
    seconds: float,
) -> None:
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "requests": requests,
        "rounds": rounds,
        "statuses": dict(sorted(totals.items())),
        "server_errors": sum(v for k, v in totals.items() if k.startswith("5")),
        "problems": problems[:50],
        "unsendable": unsendable,
        "seconds": round(seconds),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "server_fuzz.json").write_text(json.dumps(result, indent=2) + "\n")
    bad4xx = len([p for p in problems if "server error" not in p])
    lines = [
        "## Guard server: OpenAPI fuzzing (schemathesis)",
        "",
        f"`python benchmarks/server_fuzz.py --min-requests {args.min_requests} --max-seconds {args.max_seconds:g}` "
        f"({result['date']}, {result['seconds']} s): positive and negative cases for every operation of "
        "`/openapi.json`, with the real guard and a fake upstream behind it.",
        "",
        "| figure | measured | target |",
        "|---|---:|---|",
        f"| generated requests sent | {requests} | ≥ 10,000 {'✅' if requests >= 10_000 else '❌'} |",
        f"| 5xx responses | {result['server_errors']} | 0 {'✅' if result['server_errors'] == 0 else '❌'} |",
        f"| 4xx without an error message | {bad4xx} | 0 {'✅' if bad4xx == 0 else '❌'} |",
        f"| status codes | {', '.join(f'{k}: {v}' for k, v in result['statuses'].items())} | |",
    ]
    (HERE / "sections").mkdir(exist_ok=True)
    (HERE / "sections" / "41-server-fuzz.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
