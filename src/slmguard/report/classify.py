"""Classify the log rows that have no verdict yet: batched, streamed and resumable.

Verdicts go to a side directory of small Parquet parts keyed by `row_id`. A rerun reads the
row ids already there and skips them, so an interrupted run loses at most one part. The
normalised log itself is never rewritten: DuckDB (or Spark) joins the parts at aggregation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from slmguard import Guard, Verdict
from slmguard.verdict_memo import VerdictMemo

BATCH = 256
PART_ROWS = 2048
MEMO_TEXTS = 50_000
"""Verdicts remembered across batches (query logs repeat a lot); about 30 MB at this size
(texts over `verdict_memo.MAX_CHARS` are classified every time and never kept)."""


VERDICT_SCHEMA = pa.schema(
    [
        ("row_id", pa.int64()),
        ("label", pa.string()),
        ("action", pa.string()),
        ("unsafe_score", pa.float64()),
        ("sensitive_score", pa.float64()),
        ("flagged", pa.list_(pa.string())),
        ("lang", pa.string()),
    ]
)


def pending_count(log: Path, done_dir: Path) -> int:
    """Rows that still need a verdict (no label in the log, a text, not yet in `done_dir`)."""
    done = _done_ids(done_dir)
    return sum(1 for batch in _unlabelled(log) for rid in batch.column("row_id").to_pylist() if rid not in done)


def classify_missing(
    guard: Guard,
    log: Path,
    done_dir: Path,
    *,
    progress: Callable[[int], None] | None = None,
    memo_texts: int = MEMO_TEXTS,
) -> int:
    """Classify every row of the normalised `log` that lacks a verdict; returns how many were classified now.

    Each distinct text is classified once while it stays among the `memo_texts` most recently
    seen ones, so a log's popular queries cost one guard call, and memory stays bounded.
    """
    done_dir.mkdir(parents=True, exist_ok=True)
    done = _done_ids(done_dir)
    part = len(list(done_dir.glob("part-*.parquet")))
    memo = VerdictMemo(guard.check_batch, memo_texts, keep=_record)
    buffer: list[dict[str, object]] = []
    classified = 0
    for ids, texts in _pending_batches(log, done):
        buffer += [{"row_id": rid, **record} for rid, record in zip(ids, memo.check_batch(texts), strict=True)]
        classified += len(ids)
        if progress is not None:
            progress(len(ids))
        if len(buffer) >= PART_ROWS:
            _write_part(done_dir, part, buffer)
            part, buffer = part + 1, []
    if buffer:
        _write_part(done_dir, part, buffer)
    return classified


def verdict_parts(done_dir: Path) -> list[Path]:
    return sorted(done_dir.glob("part-*.parquet")) if done_dir.is_dir() else []


def _record(v: Verdict) -> dict[str, object]:
    return {
        "label": str(v.label),
        "action": str(v.action),
        "unsafe_score": v.unsafe_score,
        "sensitive_score": v.sensitive_score,
        "flagged": list(v.flagged),
        "lang": v.lang,
    }


def _write_part(done_dir: Path, part: int, rows: list[dict[str, object]]) -> None:
    """Write to a temporary name, then rename: a killed run never leaves half a part behind."""
    tmp = done_dir / f".part-{part:06d}.tmp"
    pq.write_table(pa.Table.from_pylist(rows, schema=VERDICT_SCHEMA), tmp)
    tmp.rename(done_dir / f"part-{part:06d}.parquet")


def _done_ids(done_dir: Path) -> set[int]:
    done: set[int] = set()
    for path in verdict_parts(done_dir):
        done.update(pq.read_table(path, columns=["row_id"]).column("row_id").to_pylist())
    return done


def _unlabelled(log: Path) -> Iterator[pa.RecordBatch]:
    pf = pq.ParquetFile(log)
    for batch in pf.iter_batches(batch_size=8192, columns=["row_id", "text", "label"]):
        table = pa.Table.from_batches([batch])
        text = pc.utf8_trim_whitespace(pc.fill_null(table.column("text"), ""))
        mask = pc.and_(pc.is_null(table.column("label")), pc.greater(pc.utf8_length(text), 0))
        kept = table.filter(mask)
        if kept.num_rows:
            yield from kept.to_batches()


def _pending_batches(log: Path, done: set[int]) -> Iterator[tuple[list[int], list[str]]]:
    ids: list[int] = []
    texts: list[str] = []
    for batch in _unlabelled(log):
        for rid, text in zip(batch.column("row_id").to_pylist(), batch.column("text").to_pylist(), strict=True):
            if rid in done:
                continue
            ids.append(rid)
            texts.append(text)
            if len(ids) >= BATCH:
                yield ids, texts
                ids, texts = [], []
    if ids:
        yield ids, texts
