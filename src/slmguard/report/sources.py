"""Read a query log (decision log in SQLite/PostgreSQL, JSONL, CSV, Parquet) into one normalised Parquet file.

Every source is streamed in batches and written with the same schema (`SCHEMA`), so the
aggregation SQL, the classifier and the Spark engine see one shape whatever the input was.
Bad rows never stop the run: undecodable lines are counted and skipped with their line
numbers, unparseable timestamps are counted and kept with a null time.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from slmguard.data.readers import Row, detect_format, iter_rows
from slmguard.errors import InvalidInputError

BATCH_ROWS = 50_000
MAX_LINES_LISTED = 20

SCHEMA = pa.schema(
    [
        ("row_id", pa.int64()),
        ("ts", pa.timestamp("us")),  # UTC, naive: DuckDB and Spark read it the same way
        ("user_id", pa.string()),
        ("lang", pa.string()),
        ("text", pa.string()),
        ("text_sha256", pa.string()),
        ("label", pa.string()),
        ("action", pa.string()),
        ("unsafe_score", pa.float64()),
        ("sensitive_score", pa.float64()),
        ("flagged", pa.list_(pa.string())),
    ]
)

TEXT_COLUMNS = ("text", "query", "prompt", "question", "content", "message", "input")
TIME_COLUMNS = ("ts", "timestamp", "time", "created_at", "datetime", "date")
USER_COLUMNS = ("user_id", "user", "session_id", "session", "client_id")
LANG_COLUMNS = ("lang", "language")


@dataclass(frozen=True, slots=True)
class Columns:
    """Which source column feeds which normalised field (None: absent)."""

    text: str | None
    ts: str | None = None
    user: str | None = None
    lang: str | None = None
    row_id: str | None = None


@dataclass(slots=True)
class SourceStats:
    """What reading the source found, shown in the report's data-quality box."""

    source: str
    kind: str
    rows: int = 0
    skipped_rows: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    skip_reasons: dict[str, int] = field(default_factory=dict)
    bad_timestamps: int = 0
    bad_timestamp_lines: list[int] = field(default_factory=list)
    missing_timestamps: int = 0
    columns: dict[str, str | None] = field(default_factory=dict)

    def skip(self, line: int, reason: str) -> None:
        self.skipped_rows += 1
        self.skip_reasons[reason] = self.skip_reasons.get(reason, 0) + 1
        if len(self.skipped_lines) < MAX_LINES_LISTED:
            self.skipped_lines.append(line)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "rows": self.rows,
            "skipped_rows": self.skipped_rows,
            "skipped_lines": self.skipped_lines,
            "skip_reasons": self.skip_reasons,
            "bad_timestamps": self.bad_timestamps,
            "bad_timestamp_lines": self.bad_timestamp_lines,
            "missing_timestamps": self.missing_timestamps,
            "columns": self.columns,
        }


def source_kind(source: str) -> str:
    """'postgres', 'sqlite', 'jsonl', 'csv' or 'parquet' from a URL or a file path."""
    if source.startswith(("postgresql://", "postgres://")):
        return "postgres"
    if source.startswith("sqlite:///"):
        return "sqlite"
    path = Path(source)
    if path.suffix.lower() in (".db", ".sqlite", ".sqlite3"):
        return "sqlite"
    if path.is_file():
        with path.open("rb") as fh:
            if fh.read(16) == b"SQLite format 3\x00":
                return "sqlite"
    fmt = detect_format(path)
    if fmt == "txt":
        raise InvalidInputError(
            f"Cannot tell the format of '{source}': use a .jsonl, .csv, .parquet or SQLite file, "
            "or a postgresql:// URL."
        )
    return fmt


def normalise(source: str, out: Path, *, text_column: str | None = None, table: str = "decisions") -> SourceStats:
    """Stream `source` into the Parquet file `out` with the normalised `SCHEMA`.

    Args:
        source: a file path, `sqlite:///path` or a `postgresql://` URL.
        out: the Parquet file to write.
        text_column: the text column; guessed from common names when None.
        table: the decision-log table in SQLite/PostgreSQL.

    Raises:
        InvalidInputError: the source is missing or unreadable, or has no text column (the message lists
            the columns found).
    """
    kind = source_kind(source)
    stats = SourceStats(source=source, kind=kind)
    if kind == "postgres":
        batches = _postgres_batches(source, table)
    elif kind == "sqlite":
        batches = _sqlite_batches(source.removeprefix("sqlite:///"), table)
    elif kind == "parquet":
        batches = _parquet_batches(Path(source))
    else:
        text_column = text_column or _guess_text_column(Path(source), kind)
        batches = _row_batches(Path(source), kind, text_column, stats)
    out.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(out, SCHEMA) as writer:
        columns: Columns | None = None
        for frame in batches:
            if columns is None:
                found = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
                columns = _pick_columns(found, text_column, kind=kind, source=source)
                stats.columns = {k: getattr(columns, k) for k in ("text", "ts", "user", "lang", "row_id")}
            table_ = _normalise_frame(frame, columns, stats)
            stats.rows += table_.num_rows
            writer.write_table(table_)
    return stats


def _pick_columns(found: list[str], text_column: str | None, *, kind: str, source: str) -> Columns:
    """Map source columns to fields; a missing text column is an error naming what was found."""
    lower = {c.lower(): c for c in found if not c.startswith("__")}

    def first(names: tuple[str, ...]) -> str | None:
        return next((lower[n] for n in names if n in lower), None)

    listed = ", ".join(c for c in found if not c.startswith("__")) or "none"
    if text_column is not None:
        if text_column not in found:
            raise InvalidInputError(f"{source}: no text column '{text_column}'. Columns found: {listed}.")
        text: str | None = text_column
    else:
        text = first(TEXT_COLUMNS)
    if text is None and not (kind in ("sqlite", "postgres") and "text_sha256" in lower):
        raise InvalidInputError(
            f"{source}: no text column (tried {', '.join(TEXT_COLUMNS)}; choose one with --text-column). "
            f"Columns found: {listed}."
        )
    row_id = "__line" if "__line" in found else first(("id",)) if kind in ("sqlite", "postgres") else None
    return Columns(text=text, ts=first(TIME_COLUMNS), user=first(USER_COLUMNS), lang=first(LANG_COLUMNS), row_id=row_id)


def _normalise_frame(frame: pd.DataFrame | pa.Table, cols: Columns, stats: SourceStats) -> pa.Table:
    """One source batch -> one table in `SCHEMA`, vectorised.

    Parquet batches stay in Arrow when a column already has the right type (timestamps, strings,
    numbers, lists): a million-row log is then normalised without Python per row. Other columns
    (text timestamps, JSON-encoded flags) go through pandas.
    """
    arrow = isinstance(frame, pa.Table)
    names = frame.column_names if arrow else list(frame.columns)
    n = frame.num_rows if arrow else len(frame)

    def series(name: str) -> pd.Series:
        return frame[name].to_pandas() if arrow else frame[name]

    def native(name: str, test: Callable[[pa.DataType], bool]) -> bool:
        return arrow and test(frame.schema.field(name).type)

    start = stats.rows + 1
    line = series("__line").to_numpy(dtype=np.int64) if "__line" in names else np.arange(start, start + n)
    row_id = pa.array(series(cols.row_id).to_numpy(dtype=np.int64)) if cols.row_id else pa.array(line)
    if not cols.ts:
        stats.missing_timestamps += n
        ts: pa.Array | pa.ChunkedArray = pa.nulls(n, pa.timestamp("us"))
    elif native(cols.ts, lambda t: pa.types.is_timestamp(t) or pa.types.is_date(t)):
        ts = frame[cols.ts].cast(pa.timestamp("us"))
        stats.missing_timestamps += ts.null_count
    else:
        parsed = _parse_timestamps(series(cols.ts), line, stats)
        ts = pa.array(parsed.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]"), pa.timestamp("us"))

    def text_col(name: str | None, *, blank_is_null: bool = True) -> pa.Array | pa.ChunkedArray:
        """A string column; blanks become null (CSV writes a missing verdict as an empty field)."""
        if name is None or name not in names:
            return pa.nulls(n, pa.string())
        if native(name, lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)):
            arr = frame[name].cast(pa.string())
        else:
            values = series(name)
            try:
                arr = pa.array(values, pa.string(), from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                values = values.astype("object").where(values.notna(), None)
                arr = pa.array([None if v is None else str(v) for v in values], pa.string())
        if blank_is_null:
            arr = pc.if_else(pc.equal(pc.utf8_trim_whitespace(arr), ""), pa.scalar(None, pa.string()), arr)
        return arr

    def float_col(name: str) -> pa.Array | pa.ChunkedArray:
        if name not in names:
            return pa.nulls(n, pa.float64())
        if native(name, lambda t: pa.types.is_floating(t) or pa.types.is_integer(t)):
            return frame[name].cast(pa.float64())
        numbers = pd.to_numeric(series(name), errors="coerce").to_numpy(dtype=np.float64)
        return pa.array(numbers, pa.float64(), from_pandas=True)

    if "flagged" not in names:
        flagged: pa.Array | pa.ChunkedArray = pa.nulls(n, pa.list_(pa.string()))
    elif native("flagged", lambda t: pa.types.is_list(t) or pa.types.is_large_list(t)):
        flagged = frame["flagged"].cast(pa.list_(pa.string()))
    else:
        flagged = _flagged(series("flagged"))
    return pa.table(
        {
            "row_id": row_id,
            "ts": ts,
            "user_id": text_col(cols.user),
            "lang": text_col(cols.lang),
            "text": text_col(cols.text, blank_is_null=False),
            "text_sha256": text_col("text_sha256"),
            "label": text_col("label"),
            "action": text_col("action"),
            "unsafe_score": float_col("unsafe_score"),
            "sensitive_score": float_col("sensitive_score"),
            "flagged": flagged,
        },
        schema=SCHEMA,
    )


def _parse_timestamps(values: pd.Series, line: np.ndarray, stats: SourceStats) -> pd.Series:
    """UTC timestamps; values that do not parse become NaT and are counted (with line numbers)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = pd.to_datetime(values, utc=True)
        stats.missing_timestamps += int(parsed.isna().sum())
        return parsed
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = pd.to_numeric(values, errors="coerce")
        unit = "ms" if numbers.dropna().abs().median() > 1e11 else "s"
        parsed = pd.to_datetime(numbers, unit=unit, utc=True, errors="coerce")
        stats.missing_timestamps += int(values.isna().sum())
        return parsed
    raw = values.astype("object").where(values.notna(), None)
    present = raw.map(lambda v: v is not None and str(v).strip() != "").to_numpy(dtype=bool)
    as_text = raw.map(lambda v: None if v is None else str(v).strip())
    parsed = pd.to_datetime(as_text, utc=True, errors="coerce", format="ISO8601")
    retry = parsed.isna().to_numpy() & present
    if retry.any():
        parsed[retry] = pd.to_datetime(as_text[retry], utc=True, errors="coerce", format="mixed")
    bad = parsed.isna().to_numpy() & present
    stats.missing_timestamps += int((~present).sum())
    stats.bad_timestamps += int(bad.sum())
    room = MAX_LINES_LISTED - len(stats.bad_timestamp_lines)
    if room > 0:
        stats.bad_timestamp_lines.extend(int(x) for x in line[bad][:room])
    return parsed


def _flagged(values: pd.Series) -> pa.Array:
    """Flagged codes from a JSON list string (decision log), a list, or a comma-separated string."""
    out: list[list[str] | None] = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        elif isinstance(v, str):
            s = v.strip()
            if s.startswith("["):
                try:
                    out.append([str(c) for c in json.loads(s)])
                except json.JSONDecodeError:
                    out.append(None)
            else:
                out.append([c.strip() for c in s.split(",") if c.strip()])
        else:
            out.append([str(c) for c in v])
    return pa.array(out, pa.list_(pa.string()))


def _parquet_batches(path: Path) -> Iterator[pa.Table]:
    if not path.is_file():
        raise InvalidInputError(f"Input file '{path}' does not exist.")
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInputError(f"{path}: not a readable Parquet file ({exc}).") from exc
    for batch in pf.iter_batches(batch_size=BATCH_ROWS):
        yield pa.Table.from_batches([batch])
    if pf.metadata.num_rows == 0:
        yield pf.schema_arrow.empty_table()


def _guess_text_column(path: Path, kind: str) -> str:
    """The text column of a JSONL/CSV file from its header or first JSON object; an error lists what was found."""
    if not path.is_file():
        raise InvalidInputError(f"Input file '{path}' does not exist.")
    found: list[str] = []
    with path.open("rb") as fh:
        for raw in fh:
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            if kind == "csv":
                delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
                found = next(csv.reader([line], delimiter=delimiter))
                break
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                found = list(obj)
                break
    if not found:
        return "text"  # an empty file: the report says so
    lower = {c.lower(): c for c in found}
    name = next((lower[n] for n in TEXT_COLUMNS if n in lower), None)
    if name is None:
        raise InvalidInputError(
            f"{path}: no text column (tried {', '.join(TEXT_COLUMNS)}; choose one with --text-column). "
            f"Columns found: {', '.join(found)}."
        )
    return name


def _row_batches(path: Path, kind: str, text_column: str, stats: SourceStats) -> Iterator[pd.DataFrame]:
    """JSONL/CSV rows through the project's line readers: undecodable lines are skipped and counted."""
    chunk: list[dict[str, Any]] = []
    rows: Iterator[Row] = iter_rows(path, fmt=kind, text_column=text_column)
    checked = False
    for row in rows:
        if row.error is not None and not row.data:
            stats.skip(row.line, row.error.split(": ", 1)[-1].split(" (")[0])
            continue
        if not checked and row.data:
            checked = True
            if kind == "jsonl" and text_column not in row.data:
                found = ", ".join(row.data) or "none"
                raise InvalidInputError(f"{path}: no text column '{text_column}'. Columns found: {found}.")
        if row.error is not None:
            stats.skip(row.line, "no text field")
            continue
        chunk.append({**row.data, "__line": row.line})
        if len(chunk) >= BATCH_ROWS:
            yield _frame(chunk)
            chunk = []
    if chunk or not checked:
        yield _frame(chunk, text_column)


def _frame(chunk: list[dict[str, Any]], text_column: str = "text") -> pd.DataFrame:
    if not chunk:
        return pd.DataFrame({text_column: pd.Series([], dtype="object"), "__line": pd.Series([], dtype="int64")})
    frame = pd.DataFrame.from_records(chunk)
    if "text" in frame and text_column != "text" and text_column in frame:
        frame = frame.drop(columns=["text"])
    return frame


def _sqlite_batches(path: str, table: str) -> Iterator[pd.DataFrame]:
    if not Path(path).is_file():
        raise InvalidInputError(f"SQLite file '{path}' does not exist.")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            cur = con.execute(f'SELECT * FROM "{table}" ORDER BY 1')
        except sqlite3.DatabaseError as exc:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            raise InvalidInputError(
                f"{path}: cannot read table '{table}' ({exc}). Tables found: {', '.join(tables) or 'none'}."
            ) from exc
        names = [d[0] for d in cur.description]
        yield from _cursor_frames(cur, names)
    finally:
        con.close()


def _postgres_batches(url: str, table: str) -> Iterator[pd.DataFrame]:
    try:
        import psycopg
    except ImportError as exc:
        raise InvalidInputError("Reading PostgreSQL needs 'psycopg': pip install 'slmguard[report]'") from exc
    try:
        con = psycopg.connect(url)
    except psycopg.Error as exc:
        raise InvalidInputError(f"Cannot connect to PostgreSQL: {exc}".strip()) from exc
    try:
        with con.transaction(), con.cursor(name="slmguard_report") as cur:  # server-side: streams
            try:
                cur.execute(f'SELECT * FROM "{table}" ORDER BY 1')
                first = cur.fetchmany(BATCH_ROWS)
            except psycopg.Error as exc:
                raise InvalidInputError(f"Cannot read table '{table}': {exc}".strip()) from exc
            names = [d.name for d in cur.description or []]
            yield pd.DataFrame.from_records(first, columns=names)
            while rows := cur.fetchmany(BATCH_ROWS):
                yield pd.DataFrame.from_records(rows, columns=names)
    finally:
        con.close()


def _cursor_frames(cur: sqlite3.Cursor, names: list[str]) -> Iterator[pd.DataFrame]:
    first = True
    while True:
        rows = cur.fetchmany(BATCH_ROWS)
        if not rows and not first:
            return
        first = False
        yield pd.DataFrame.from_records(rows, columns=names)
        if not rows:
            return
