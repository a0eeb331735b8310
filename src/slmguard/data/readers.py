"""Read query files (JSONL, CSV, Parquet, plain text, Hugging Face datasets) row by row.

Rows stream one at a time, so memory stays flat on large files. A row that cannot be
read (invalid UTF-8, malformed JSON) comes back as a `Row` with `error` and its line
number; the rest of the file is still read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slmguard.errors import InvalidInputError

FORMATS = ("jsonl", "csv", "parquet", "txt")


@dataclass(frozen=True, slots=True)
class Row:
    """One input row: its 1-based line (or record) number and either data or an error."""

    line: int
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def detect_format(path: Path) -> str:
    """Format from the file suffix: .jsonl/.json, .csv/.tsv, .parquet, anything else is text."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "txt"


def iter_rows(path: str | Path, *, fmt: str | None = None, text_column: str = "text") -> Iterator[Row]:
    """Yield every row of `path`; each row's text is under the key 'text'.

    Raises:
        InvalidInputError: the file is missing, the format is unknown, or the text column is absent.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"Input file '{path}' does not exist.")
    fmt = fmt or detect_format(path)
    if fmt == "jsonl":
        yield from _iter_jsonl(path, text_column)
    elif fmt == "csv":
        yield from _iter_csv(path, text_column)
    elif fmt == "parquet":
        yield from _iter_parquet(path, text_column)
    elif fmt == "txt":
        yield from _iter_lines(path)
    else:
        raise InvalidInputError(f"Unknown input format {fmt!r}. Valid formats: {', '.join(FORMATS)}.")


def _decoded_lines(path: Path) -> Iterator[tuple[int, str | None, str | None]]:
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            try:
                yield n, raw.decode("utf-8").rstrip("\r\n"), None
            except UnicodeDecodeError as exc:
                yield n, None, f"line {n}: invalid UTF-8 ({exc.reason} at byte {exc.start})"


def _iter_lines(path: Path) -> Iterator[Row]:
    for n, line, error in _decoded_lines(path):
        if error:
            yield Row(n, error=error)
        elif line and line.strip():
            yield Row(n, {"text": line})


def _iter_jsonl(path: Path, text_column: str) -> Iterator[Row]:
    for n, line, error in _decoded_lines(path):
        if error:
            yield Row(n, error=error)
            continue
        if not line or not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Row(n, error=f"line {n}: malformed JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(data, dict):
            yield Row(n, error=f"line {n}: expected a JSON object, got {type(data).__name__}")
        elif text_column not in data:
            yield Row(n, data, error=f"line {n}: no '{text_column}' field (fields: {', '.join(data) or 'none'})")
        else:
            yield Row(n, {**data, "text": data[text_column]})


def _iter_csv(path: Path, text_column: str) -> Iterator[Row]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
        reader = csv.DictReader(text, delimiter=delimiter)
        if reader.fieldnames is None or text_column not in reader.fieldnames:
            found = ", ".join(reader.fieldnames or []) or "none"
            raise InvalidInputError(f"{path}: no text column '{text_column}'. Columns found: {found}.")
        for n, rec in enumerate(reader, start=2):
            value = rec.get(text_column) or ""
            if "\ufffd" in value:
                yield Row(n, error=f"line {n}: invalid UTF-8 in column '{text_column}'")
            else:
                yield Row(n, {**rec, "text": value})


def _iter_parquet(path: Path, text_column: str) -> Iterator[Row]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise InvalidInputError("Reading Parquet needs 'pyarrow': pip install pyarrow") from exc
    pf = pq.ParquetFile(path)
    if text_column not in pf.schema_arrow.names:
        found = ", ".join(pf.schema_arrow.names)
        raise InvalidInputError(f"{path}: no text column '{text_column}'. Columns found: {found}.")
    n = 0
    for batch in pf.iter_batches(batch_size=4096):
        for rec in batch.to_pylist():
            n += 1
            yield Row(n, {**rec, "text": rec[text_column]})


def iter_hf_dataset(path: str | Path, *, split: str | None = None, text_column: str = "text") -> Iterator[Row]:
    """Rows of a Hugging Face dataset saved to disk (`Dataset.save_to_disk`); never downloads."""
    try:
        import datasets
    except ImportError as exc:
        raise InvalidInputError("Reading Hugging Face datasets needs 'datasets': pip install datasets") from exc
    try:
        ds = datasets.load_from_disk(str(path))
    except FileNotFoundError as exc:
        raise InvalidInputError(f"No Hugging Face dataset saved at '{path}'.") from exc
    if isinstance(ds, datasets.DatasetDict):
        if split is None or split not in ds:
            raise InvalidInputError(f"Dataset '{path}' has splits {', '.join(ds)}; choose one with split=.")
        ds = ds[split]
    if text_column not in ds.column_names:
        raise InvalidInputError(f"{path}: no text column '{text_column}'. Columns found: {', '.join(ds.column_names)}.")
    for n, rec in enumerate(ds, start=1):
        yield Row(n, {**rec, "text": rec[text_column]})
