"""A realistic, clearly labelled SYNTHETIC query log for `slmguard report --demo`.

Texts come from the project's own data (data/*.jsonl) and permissive train-role shared datasets;
users, timestamps and repetition are made up with a fixed seed: six weeks with a daily (Korean
daytime) and weekly rhythm, slow growth, a few bursts of one harmful category, a heavy tail of
repeated queries and a few texts with personal data. Only a couple of thousand distinct texts are
classified by the guard (repeats reuse the verdict), so the demo is quick.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from slmguard import Guard
from slmguard.data.manifest import Manifest

REPO = Path(__file__).resolve().parents[3]
END = dt.datetime(2026, 11, 15, tzinfo=dt.UTC)
DAYS = 42

# (file under data/, labels kept, weight of the pool in the demo traffic)
PROJECT_POOLS = (
    ("contrast_en.jsonl", ("safe", "sensitive"), 1.0),
    ("contrast_ko.jsonl", ("safe", "sensitive"), 1.0),
    ("benign_posts.jsonl", ("safe",), 0.6),
    ("requests_en.jsonl", ("safe", "unsafe"), 0.6),
    ("harmful_requests.jsonl", ("unsafe",), 0.5),
    ("harmful_ko_more.jsonl", ("safe", "unsafe"), 0.4),
    ("obfuscated.jsonl", ("unsafe",), 0.15),
)
# (shared dataset, role) of permissive licence: benign and sensitive background traffic
SHARED_POOLS = (
    ("webquestions", "train", 3.0),
    ("gsm8k_questions", "train", 1.0),
    ("chatbot_data_ko", "train", 3.0),
    ("square", "train", 0.8),
    ("catqa", "train", 0.3),
)

TIER_MIX = {"safe": 0.82, "sensitive": 0.11, "unsafe": 0.07}

PII_TEMPLATES = (
    "제 주민번호 {rrn} 인데 이걸로 본인인증 하는 방법 알려줘",
    "내 번호 010-{a}-{b} 로 문자 오는 스팸 차단하는 법",
    "My card {card} was charged twice, how do I dispute it?",
    "email me the summary at {user}@example.com please",
    "국민은행 {acct} 계좌로 송금했는데 취소 가능해?",
    "why does https://api.example.com/v1/items?token={tok} return 403?",
    "server at 10.{a3}.{b3}.7 keeps refusing ssh, what should I check?",
)


def _project_texts(rng: np.random.Generator, per_pool: int) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for name, labels, weight in PROJECT_POOLS:
        path = REPO / "data" / name
        if not path.is_file():
            continue
        rows = [r for r in map(json.loads, path.open(encoding="utf-8")) if r.get("label") in labels]
        for i in rng.permutation(len(rows))[:per_pool]:
            out.append((rows[i]["text"], weight))
    return out


def _shared_texts(rng: np.random.Generator, per_pool: int) -> list[tuple[str, float]]:
    try:
        manifest = Manifest()
    except Exception:
        return []
    out: list[tuple[str, float]] = []
    for name, role, weight in SHARED_POOLS:
        if name not in manifest.datasets or manifest[name].licence_class != "permissive":
            continue
        rows = [
            r["text"] for r in manifest.rows(name, role=role) if isinstance(r.get("text"), str) and r["text"].strip()
        ]
        for i in rng.permutation(len(rows))[:per_pool]:
            out.append((rows[i], weight))
    return out


def _pii_texts(rng: np.random.Generator) -> list[str]:
    fill = {
        "rrn": "900101-1234567",
        "a": "1234",
        "b": "5678",
        "card": "4111 1111 1111 1111",
        "user": "jiyoung.kim",
        "acct": "123-456789-01-234",
        "tok": "sk_live_9f8e7d6c5b4a",
        "a3": str(rng.integers(0, 255)),
        "b3": str(rng.integers(0, 255)),
    }
    return [t.format(**fill) for t in PII_TEMPLATES]


def build_demo_log(
    path: Path,
    *,
    rows: int = 20_000,
    distinct: int = 1_200,
    users: int = 900,
    seed: int = 0,
    model: Path | None = None,
    progress: Callable[[int, int], Callable[[int], None]] | None = None,
) -> Path:
    """Write a synthetic, already-classified log of `rows` queries to the Parquet file `path`.

    A file already there that was built with the same settings and model is kept as it is: the
    guard does not cache its embeddings, so this is what makes a second `--demo` run quick.
    """
    guard = Guard.load(model)
    settings = json.dumps(
        {
            "rows": rows,
            "distinct": distinct,
            "users": users,
            "seed": seed,
            "model": guard.model_name,
            "taxonomy": guard.taxonomy.sha256,
            "version": 1,
        }
    )
    if path.is_file():
        meta = pq.read_schema(path).metadata or {}
        if meta.get(b"slmguard_demo") == settings.encode():
            return path
    rng = np.random.default_rng(seed)
    pool = _project_texts(rng, distinct // 10) + _shared_texts(rng, distinct // 6)
    texts = list(dict.fromkeys(t for t, _ in pool))
    weights = dict(pool)
    order = rng.permutation(len(texts))[: max(1, distinct - len(PII_TEMPLATES))]
    texts = [texts[i] for i in order] + _pii_texts(rng)
    base_w = np.array([weights.get(t, 2.0) for t in texts])  # PII texts: recur, to show the masking

    tick = progress(len(texts), 0) if progress else None
    verdicts = []
    for start in range(0, len(texts), 128):
        verdicts.extend(guard.check_batch(texts[start : start + 128]))
        if tick:
            tick(len(texts[start : start + 128]))

    idx = _pick_texts(rng, [str(v.label) for v in verdicts], base_w, rows)
    ts = _timestamps(rng, rows)
    unsafe = np.array([v.label == "unsafe" for v in verdicts])
    for burst_day in (9, 23, 36):  # a few bursts: one user group hammering unsafe texts for a few hours
        n = rows // 60
        pick = (
            rng.choice(np.flatnonzero(unsafe), size=min(40, int(unsafe.sum()))) if unsafe.any() else np.array([], int)
        )
        if pick.size:
            slots = rng.choice(len(idx), size=n, replace=False)
            idx[slots] = rng.choice(pick, size=n)
            start = END - dt.timedelta(days=DAYS - burst_day) + dt.timedelta(hours=int(rng.integers(10, 20)))
            ts[slots] = np.datetime64(start.replace(tzinfo=None), "us") + rng.integers(0, 3 * 3600 * 10**6, n).astype(
                "timedelta64[us]"
            )
    user_activity = 1 / np.arange(1, users + 1) ** 0.8
    user = rng.choice(users, size=rows, p=user_activity / user_activity.sum())
    pii = np.arange(len(texts) - len(PII_TEMPLATES), len(texts))
    is_pii = np.isin(idx, pii)
    user[is_pii] = rng.integers(0, users, int(is_pii.sum()))
    sort = np.argsort(ts, kind="stable")
    idx, ts, user = idx[sort], ts[sort], user[sort]

    v_cols: dict[str, list[Any]] = {
        k: [] for k in ("label", "action", "unsafe_score", "sensitive_score", "flagged", "lang")
    }
    for v in verdicts:
        v_cols["label"].append(str(v.label))
        v_cols["action"].append(str(v.action))
        v_cols["unsafe_score"].append(v.unsafe_score)
        v_cols["sensitive_score"].append(v.sensitive_score)
        v_cols["flagged"].append(list(v.flagged))
        v_cols["lang"].append(v.lang)
    table = pa.table(
        {
            "id": pa.array(np.arange(1, rows + 1)),
            "ts": pa.array(ts, pa.timestamp("us")),
            "user_id": pa.array([f"demo-user-{u:04d}" for u in user]),
            "text": pa.array(texts).take(pa.array(idx)),
            **{k: pa.array(vals).take(pa.array(idx)) for k, vals in v_cols.items()},
            "synthetic": pa.array(np.ones(rows, dtype=bool)),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata({"slmguard_demo": settings}), path)
    return path


def _pick_texts(rng: np.random.Generator, labels: list[str], weights: np.ndarray, rows: int) -> np.ndarray:
    """Each row draws a tier (mostly safe, as in real traffic), then a text of that tier by a Zipf-like
    popularity: a few queries recur a lot, most are rare."""
    labels_a = np.array(labels)
    tiers = [t for t in TIER_MIX if (labels_a == t).any()]
    p = np.array([TIER_MIX[t] for t in tiers])
    tier_of_row = rng.choice(len(tiers), size=rows, p=p / p.sum())
    idx = np.empty(rows, dtype=np.int64)
    for k, tier in enumerate(tiers):
        members = rng.permutation(np.flatnonzero(labels_a == tier))
        pop = weights[members] / np.arange(1, members.size + 1) ** 0.8
        where = np.flatnonzero(tier_of_row == k)
        idx[where] = rng.choice(members, size=where.size, p=pop / pop.sum())
    return idx


def _timestamps(rng: np.random.Generator, n: int) -> np.ndarray:
    """Six weeks, busier on weekdays and in Korean daytime (UTC+9), growing 30% over the period."""
    days = np.arange(DAYS)
    start = END - dt.timedelta(days=DAYS)
    weekday = np.array([(start + dt.timedelta(days=int(d))).weekday() for d in days])
    day_w = (1 + 0.3 * days / DAYS) * np.where(weekday >= 5, 0.7, 1.0)
    hour_kst = np.arange(24)
    hour_w = 0.15 + np.exp(-((hour_kst - 14) ** 2) / 18) + 0.6 * np.exp(-((hour_kst - 22) ** 2) / 6)
    hour_w_utc = np.roll(hour_w, -9)
    day = rng.choice(DAYS, size=n, p=day_w / day_w.sum())
    hour = rng.choice(24, size=n, p=hour_w_utc / hour_w_utc.sum())
    seconds = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    return np.datetime64(start.replace(tzinfo=None), "us") + (seconds * 10**6).astype("timedelta64[us]")
