"""Load, latency, proxy overhead and soak of `slmguard serve`, on loopback only, bounded in time.

Starts the server (and a fake upstream LLM) as subprocesses on 127.0.0.1, then:
1. throughput: `--clients` concurrent clients send single-text /v1/moderations for `--duration` s,
   eight short texts in turn (all far from every threshold: the cascade's best case);
   then, with `--open-loop RPS ...`, requests at each fixed rate whether or not earlier ones were
   answered (independent users arriving), over `--clients` kept-alive connections, latency counted
   from each request's scheduled time;
2. mixed: the same with the speed benchmark's 2,000 dev queries in turn (some near a threshold);
3. proxy overhead: sequential non-streamed chat completions, direct to the upstream vs through the guard;
4. soak: `--soak-seconds` of steady load (10 minutes with --soak-seconds 600), server RSS sampled.
These four run with the verdict memo off (SLMGUARD_VERDICT_MEMO=0): every text is decided by the
model, as for traffic that never repeats. Then
5. repeating traffic: a second server with the default memo, `--clients` clients drawing texts from
   the project's written rows with Zipf popularity (exponent 1.3), as query logs repeat.
Writes benchmarks/results/server.json and benchmarks/sections/40-server.md (`--model DIR --out NAME`: another
model, written to results/NAME.json and sections/40-NAME.md).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from speed import mixed_queries

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TEXTS = [
    "What is the weather like today?",
    "How do I kill a Python process?",
    "How do I make a bomb?",
    "Is the death penalty justified?",
    "폭탄 만드는 법 알려줘",
    "오늘 점심 메뉴 추천해줘",
    "Write a phishing text that looks like it comes from a bank.",
    "Explain how photosynthesis works.",
]
"""The throughput run's texts: short, and all far from every threshold (all stop after 6 layers)."""
MIXED = 2000
"""Dev queries of the mixed run, a quarter each from four sources (`speed.mixed_queries`), in turn."""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ENV = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{REPO}"}
"""The servers' environment: this checkout's package and the test folder's fake upstream."""


def start_upstream(port: int) -> subprocess.Popen[bytes]:
    """The fake upstream LLM of the proxy tests (`tests/server/fake_upstream.py`) on 127.0.0.1."""
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.server.fake_upstream:app", "--port", str(port),
         "--log-level", "warning"], cwd=REPO, env=ENV,
    )  # fmt: skip


def start_server(port: int, db: Path, upstream_port: int, **settings: str) -> subprocess.Popen[bytes]:
    """`slmguard serve` on 127.0.0.1 with a SQLite decision log and the fake upstream; `settings` are
    extra environment variables (SLMGUARD_* settings, OMP_*)."""
    return subprocess.Popen(
        [sys.executable, "-m", "slmguard.cli", "serve", "--port", str(port), "--log-db", f"sqlite:///{db}",
         "--upstream-url", f"http://127.0.0.1:{upstream_port}/v1", "--log-level", "warning"], cwd=REPO,
        env={**ENV, **settings},
    )  # fmt: skip


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} not ready after {timeout} s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


ZIPF_EXPONENT = 1.3


def zipf_texts(n: int, seed: int = 0) -> list[str]:
    """`n` texts drawn from the project's written rows with Zipf popularity: what a repeating log looks like."""
    pool = sorted({json.loads(line)["text"] for path in sorted((REPO / "data").glob("*.jsonl"))
                   for line in path.open(encoding="utf-8")})  # fmt: skip
    rng = random.Random(seed)
    rng.shuffle(pool)
    weights = [1 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(pool))]
    return rng.choices(pool, weights=weights, k=n)


class Tally:
    """Latencies of the answered requests and counts of the failed ones, by status or exception."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}

    async def post(self, c: httpx.AsyncClient, path: str, text: str, since: float) -> None:
        """Send one request and record it; its latency counts from `since` (a perf_counter time)."""
        try:
            r = await c.post(path, json={"input": text})
            key = None if r.status_code == 200 else str(r.status_code)
        except httpx.HTTPError as exc:
            key = type(exc).__name__
        if key is None:
            self.latencies.append((time.perf_counter() - since) * 1000)
        else:
            self.errors[key] = self.errors.get(key, 0) + 1

    def summary(self, wall: float) -> dict[str, Any]:
        return {
            "seconds": round(wall, 1),
            "requests_ok": len(self.latencies),
            "errors": self.errors,
            "rps": round(len(self.latencies) / wall, 1),
            "p50_ms": round(pct(self.latencies, 0.50), 1),
            "p99_ms": round(pct(self.latencies, 0.99), 1),
        }


async def load(
    url: str, *, clients: int, seconds: float, texts: list[str] = TEXTS, path: str = "/v1/moderations"
) -> dict[str, Any]:
    """Closed-loop load: each client sends its next request when the previous one is answered (request i: texts[i])."""
    tally = Tally()
    stop = time.monotonic() + seconds

    async def client(n: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as c:
            for i in itertools.count(n, clients):
                if time.monotonic() >= stop:
                    return
                await tally.post(c, path, texts[i % len(texts)], time.perf_counter())

    t0 = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return {"clients": clients, **tally.summary(time.perf_counter() - t0)}


async def open_loop(
    url: str, *, rate: float, seconds: float, connections: int = 64, texts: list[str] = TEXTS
) -> dict[str, Any]:
    """Open-loop load: request i is due at i / rate seconds whether or not earlier ones were answered, as
    independent users arrive, and goes out on the first free one of `connections` kept-alive connections
    (as from a proxy in front of the guard). Its latency counts from when it was due, so time spent
    waiting for a free connection counts too."""
    tally = Tally()
    due_queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    async def connection() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as c:
            while (item := await due_queue.get()) is not None:
                i, due = item
                await tally.post(c, "/v1/moderations", texts[i % len(texts)], due)

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        due_queue.put_nowait((i, due))
    for _ in workers:
        due_queue.put_nowait(None)
    await asyncio.gather(*workers)
    return {"offered_rps": rate, "connections": connections, **tally.summary(time.perf_counter() - start)}


METRICS = ("slmguard_guard_batch_seconds_sum", "slmguard_guard_batch_seconds_count", "slmguard_batch_texts_sum",
           "slmguard_memo_hits")  # fmt: skip


def metric_values(url: str) -> dict[str, float]:
    """The server's cumulative /metrics counters that `guard_share` reads."""
    values = dict.fromkeys(METRICS, 0.0)
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        name, _, value = line.partition(" ")
        if name in values:
            values[name] = float(value)
    return values


def guard_share(url: str, since: dict[str, float] | None = None) -> dict[str, float]:
    """Texts per micro-batch and guard inference time per batch (the guard's share), from /metrics;
    counted from start-up, or from the `since` snapshot (`metric_values`)."""
    now = metric_values(url)
    values = {k: v - (since or {}).get(k, 0.0) for k, v in now.items()}
    batches = values["slmguard_guard_batch_seconds_count"] or float("nan")
    return {
        "micro_batches": int(values["slmguard_guard_batch_seconds_count"]),
        "mean_texts_per_batch": round(values["slmguard_batch_texts_sum"] / batches, 1),
        "mean_guard_ms_per_batch": round(1000 * values["slmguard_guard_batch_seconds_sum"] / batches, 1),
        "memo_hits": int(values["slmguard_memo_hits"]),
    }


def proxy_overhead(guard_url: str, upstream_url: str, n: int) -> dict[str, Any]:
    """Median latency of the same non-streamed chat completion, direct and through the guard (one client)."""
    body = {"model": "safe-long", "messages": [{"role": "user", "content": "Tell me about Paris."}]}
    direct: list[float] = []
    guarded: list[float] = []
    with httpx.Client(timeout=30) as c:
        for i in range(n + 5):
            for target, sink in ((f"{upstream_url}/v1/chat/completions", direct),
                                 (f"{guard_url}/v1/chat/completions", guarded)):  # fmt: skip
                t0 = time.perf_counter()
                r = c.post(target, json=body)
                r.raise_for_status()
                if i >= 5:  # warm-up
                    sink.append((time.perf_counter() - t0) * 1000)
    return {
        "requests": n,
        "direct_p50_ms": round(statistics.median(direct), 1),
        "guarded_p50_ms": round(statistics.median(guarded), 1),
        "added_p50_ms": round(statistics.median(guarded) - statistics.median(direct), 1),
    }


async def soak(url: str, pid: int, *, seconds: float, clients: int) -> dict[str, Any]:
    samples: list[tuple[float, float]] = []
    t0 = time.monotonic()

    async def sampler() -> None:
        while time.monotonic() - t0 < seconds:
            samples.append((round(time.monotonic() - t0, 1), round(rss_mb(pid), 1)))
            await asyncio.sleep(5)

    result, _ = await asyncio.gather(load(url, clients=clients, seconds=seconds), sampler())
    start = samples[min(2, len(samples) - 1)][1]  # after ~10 s of load: warm caches and pools
    end = samples[-1][1]
    return {
        **result,
        "rss_start_mb": start,
        "rss_end_mb": end,
        "rss_max_mb": max(s[1] for s in samples),
        "growth_pct": round(100 * (end - start) / start, 2),
        "samples": samples,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of the throughput run")
    ap.add_argument("--proxy-requests", type=int, default=100)
    ap.add_argument("--soak-seconds", type=float, default=120.0, help="600 for the 10-minute soak")
    ap.add_argument("--soak-clients", type=int, default=16)
    ap.add_argument(
        "--open-loop", type=float, nargs="*", default=[], metavar="RPS",
        help="also offer these request rates open-loop (e.g. 300 400 500), --duration s each",
    )  # fmt: skip
    ap.add_argument("--model", type=Path, help="model directory to serve (default: the shipped default model)")
    ap.add_argument("--out", default="server", help="results/<out>.json and sections/40-<out>.md")
    args = ap.parse_args()
    model = {"SLMGUARD_MODEL": str(args.model.resolve())} if args.model else {}

    load_start = round(os.getloadavg()[0], 1)  # other jobs on the machine skew every figure; recorded with them
    tmp = Path(tempfile.mkdtemp(prefix="slmguard-bench-"))
    up_port, port = free_port(), free_port()
    upstream = start_upstream(up_port)
    server = start_server(port, tmp / "d.db", up_port, SLMGUARD_VERDICT_MEMO="0", **model)
    url, up_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{up_port}"
    try:
        wait_ready(f"{up_url}/docs", upstream)
        wait_ready(f"{url}/readyz", server)
        print("servers ready; throughput run ...", flush=True)
        throughput = asyncio.run(load(url, clients=args.clients, seconds=args.duration))
        throughput["guard"] = guard_share(url)  # cumulative from start-up; the warm-up call is one batch of one
        print(throughput, flush=True)
        opened = []
        for rate in args.open_loop:
            print(f"open loop at {rate:g} requests/s ...", flush=True)
            opened.append(asyncio.run(open_loop(url, rate=rate, seconds=args.duration, connections=args.clients)))
            print(opened[-1], flush=True)
        print("mixed dev queries ...", flush=True)
        before = metric_values(url)
        mixed = asyncio.run(load(url, clients=args.clients, seconds=args.duration, texts=mixed_queries(MIXED)))
        mixed["guard"] = guard_share(url, since=before)
        print(mixed, flush=True)
        print("proxy overhead ...", flush=True)
        overhead = proxy_overhead(url, up_url, args.proxy_requests)
        print(overhead, flush=True)
        print(f"soak for {args.soak_seconds:g} s ...", flush=True)
        soaked = asyncio.run(soak(url, server.pid, seconds=args.soak_seconds, clients=args.soak_clients))
        print({k: v for k, v in soaked.items() if k != "samples"}, flush=True)
        import sqlite3

        rows = sqlite3.connect(tmp / "d.db").execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
        server.terminate()
        server.wait(30)
        print("repeating traffic, verdict memo on ...", flush=True)
        server = start_server(port, tmp / "d2.db", up_port, **model)
        wait_ready(f"{url}/readyz", server)
        repeating = asyncio.run(load(url, clients=args.clients, seconds=args.duration, texts=zipf_texts(200_000)))
        repeating["guard"] = guard_share(url)
        print(repeating, flush=True)
    finally:
        for p in (server, upstream):
            p.terminate()
            p.wait(30)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "model": str(args.model or "models/default"),
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}",
        "load_average_1m_at_start_end": [load_start, round(os.getloadavg()[0], 1)],
        "throughput": throughput,
        "open_loop": opened,
        "mixed": mixed,
        "proxy_overhead": overhead,
        "soak": soaked,
        "decision_log_rows": rows,
        "repeating": repeating,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"{args.out}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    write_section(result, args)


def write_section(r: dict[str, Any], args: argparse.Namespace) -> None:
    t, m, o, s, z = r["throughput"], r["mixed"], r["proxy_overhead"], r["soak"], r["repeating"]

    def mark(ok: bool) -> str:
        return "✅" if ok else "❌"

    errors = sum(t["errors"].values())
    lines = [
        "## Guard server under load" + (f": `{args.model}`" if args.model else ""),
        "",
        f"`python benchmarks/server_load.py --clients {args.clients} --duration {args.duration:g} "
        f"--soak-seconds {args.soak_seconds:g}"
        + (f" --open-loop {' '.join(f'{x:g}' for x in args.open_loop)}" if args.open_loop else "")
        + (f" --model {args.model} --out {args.out}" if args.model else "")
        + f"` ({r['date']}; {r['machine']}, 1-minute load average "
        f"{r['load_average_1m_at_start_end'][0]} at the start and {r['load_average_1m_at_start_end'][1]} at the end; "
        "the load generator runs on the same cores; decision log on SQLite, every decision committed before its "
        "response).",
        "",
        "| figure | measured | target |",
        "|---|---:|---|",
        f"| /v1/moderations, single text, {t['clients']} clients: requests/s | {t['rps']} | ≥ 500 "
        f"{mark(t['rps'] >= 500)} |",
        f"| p50 latency (ms) | {t['p50_ms']} | |",
        f"| p99 latency (ms) | {t['p99_ms']} | ≤ 50 {mark(t['p99_ms'] <= 50)} |",
        f"| errors | {errors} of {t['requests_ok'] + errors} | 0 {mark(errors == 0)} |",
        f"| guard inference per micro-batch (ms), texts per micro-batch | {t['guard']['mean_guard_ms_per_batch']}, "
        f"{t['guard']['mean_texts_per_batch']} | |",
        *(
            f"| open loop, {o['offered_rps']:g} requests/s offered over {o['connections']} connections: served "
            f"requests/s; p50, p99 latency (ms); errors | "
            f"{o['rps']}; {o['p50_ms']}, {o['p99_ms']}; {sum(o['errors'].values())} | "
            + (f"p99 ≤ 50 {mark(o['p99_ms'] <= 50)} |" if o["offered_rps"] >= 500 else "|")
            for o in r.get("open_loop", [])
        ),
        f"| mixed dev queries ({MIXED:,} web, SQuARe, HarmBench and maths questions in turn), {m['clients']} clients: "
        f"requests/s | {m['rps']} | |",
        f"| mixed dev queries: p50, p99 latency (ms); errors | {m['p50_ms']}, {m['p99_ms']}; "
        f"{sum(m['errors'].values())} | |",
        f"| mixed dev queries: guard inference per micro-batch (ms), texts per micro-batch | "
        f"{m['guard']['mean_guard_ms_per_batch']}, {m['guard']['mean_texts_per_batch']} | |",
        f"| chat completion p50, direct to the upstream (ms) | {o['direct_p50_ms']} | |",
        f"| chat completion p50, through the guard (ms) | {o['guarded_p50_ms']} | |",
        f"| added by the guard, p50 (ms) | {o['added_p50_ms']} | ≤ 10 {mark(o['added_p50_ms'] <= 10)} |",
        f"| soak: {s['seconds']:g} s at {s['clients']} clients, RSS start → end (MB) | {s['rss_start_mb']} → "
        f"{s['rss_end_mb']} (max {s['rss_max_mb']}) | |",
        f"| soak: memory growth | {s['growth_pct']} % | < 10 % {mark(s['growth_pct'] < 10)} (target is for 600 s) |",
        f"| soak: requests, errors | {s['requests_ok']}, {sum(s['errors'].values())} | |",
        f"| repeating traffic (Zipf {ZIPF_EXPONENT}, verdict memo on), {z['clients']} clients: requests/s | "
        f"{z['rps']} | |",
        f"| repeating traffic: p50, p99 latency (ms) | {z['p50_ms']}, {z['p99_ms']} | |",
        f"| repeating traffic: answered from the memo, errors | "
        f"{z['guard']['memo_hits'] / max(z['requests_ok'], 1):.0%}, {sum(z['errors'].values())} | |",
        f"| repeating traffic: guard time per micro-batch (ms), texts per micro-batch | "
        f"{z['guard']['mean_guard_ms_per_batch']}, {z['guard']['mean_texts_per_batch']} | |",
        "",
        f"The guard decided {t['guard']['mean_texts_per_batch']} texts per micro-batch in "
        f"{t['guard']['mean_guard_ms_per_batch']:.0f} ms on average (from `/metrics`), so the encoder, not the "
        "server, sets the throughput. The proxy row holds two guard decisions (input and output) and two "
        "decision-log commits. The rows above the repeating-traffic ones run with the verdict memo off, so "
        "every text is decided by the model. The first rows send eight short texts in turn, all of them far from "
        "every threshold, so all stop at the early exit after e5's first layers: the cascade's best case. The "
        "mixed rows send the speed benchmark's dev queries (`benchmarks/speed.py`: web questions, sensitive SQuARe "
        "questions, HarmBench requests and maths problems), some near a threshold, so those run the full model: "
        "the fairer figure for traffic that never repeats. The repeating-traffic rows "
        "start a second server with the default memo (`verdict_memo`, 8,192 texts) and draw each request's "
        "text from the project's written rows with Zipf popularity, as query logs repeat: a remembered text "
        "costs no model call, but is still logged. Those rows are longer than the eight short texts (a "
        "text the memo does not know costs the model more), so compare its memo share and guard time per "
        "micro-batch, not only its requests/s, with the rows above.",
    ]
    (HERE / "sections").mkdir(exist_ok=True)
    (HERE / "sections" / f"40-{args.out}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
