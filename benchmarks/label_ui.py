"""Keyboard labelling speed through the real review UI (headless Chromium, the shipped model).

Serves `slmguard label` on 40 project-written queries (English and Korean), then labels them
with the keyboard only: one key (a tier, or a category letter that implies its tier) and Enter
per item, after a simulated READ_S seconds of reading each item. Records keystrokes and HTTP round
trips per item, the reviewer's wait (from the first key until the next item, with its occlusion
explanation, is on screen; the UI prefetches it during the reading) and the items per minute
that result, reading included.

Run: python benchmarks/label_ui.py  -> results/label_ui.json (then custom_category.py --section-only)
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from slmguard import Guard
from slmguard.label.app import LabelSettings, create_app

HERE = Path(__file__).parent
ROOT = HERE.parent
N_ITEMS = 40
READ_S = 3.0
"""Simulated reading time per item (a short query; longer ones take longer)."""


def queries() -> list[str]:
    rows = []
    for name in ("contrast_en.jsonl", "contrast_ko.jsonl"):
        lines = (ROOT / "data" / name).read_text(encoding="utf-8").splitlines()
        rows += [json.loads(line)["text"] for line in lines[: N_ITEMS // 2]]
    return rows


def main() -> None:
    guard = Guard.load()
    with tempfile.TemporaryDirectory() as tmp:
        qfile = Path(tmp) / "queries.txt"
        qfile.write_text("\n".join(t.replace("\n", " ") for t in queries()) + "\n", encoding="utf-8")
        app = create_app(LabelSettings(input=qfile, db=Path(tmp) / "labels.db"), guard=guard)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        rng = random.Random(0)
        times, keys, trips = [], 0, 0
        session_start = 0.0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            counted: list[str] = []
            page.on(
                "request", lambda r: counted.append(r.url) if "/api/labels" in r.url or "/api/next" in r.url else None
            )
            page.goto(f"http://127.0.0.1:{port}/?reviewer=bench")
            page.wait_for_selector("body[data-ready='1']")
            session_start = time.perf_counter()
            for _ in range(N_ITEMS - 1):  # the last item has no next one to wait for
                before = page.locator("#text").inner_text()
                time.sleep(READ_S)
                n_requests = len(counted)
                start = time.perf_counter()
                for k in (rng.choice(["1", "r", "q"]), "Enter"):  # safe, sensitive, toxicity (unsafe)
                    page.keyboard.press(k)
                    keys += 1
                page.wait_for_function("t => document.getElementById('text').innerText !== t", arg=before)
                times.append(time.perf_counter() - start)
                trips += len(counted) - n_requests
            session = time.perf_counter() - session_start
            browser.close()
        server.should_exit = True
    median = statistics.median(times)
    out = {
        "items": len(times),
        "keystrokes_per_item": keys / len(times),
        "round_trips_per_item": trips / len(times),
        "median_seconds_per_item": round(median, 3),
        "p90_seconds_per_item": round(sorted(times)[int(0.9 * len(times))], 3),
        "reading_seconds_simulated": READ_S,
        "items_per_minute": round(len(times) / session * 60, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "cores": os.cpu_count(),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "label_ui.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
