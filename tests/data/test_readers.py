from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmguard import InvalidInputError
from slmguard.data.readers import iter_hf_dataset, iter_rows


def test_jsonl_reports_bad_lines_and_keeps_going(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_bytes(
        b'{"id": "a", "text": "hello"}\n'
        b'{"id": "b", "text": \n'  # malformed JSON
        b'{"id": "c", "text": "caf\xe9"}\n'  # invalid UTF-8 (latin-1 byte)
        b"[1, 2]\n"
        b'{"id": "e", "body": "no text field"}\n'
        b"\n"
        b'{"id": "f", "text": "last"}\n'
    )
    rows = list(iter_rows(path))
    assert [r.line for r in rows] == [1, 2, 3, 4, 5, 7]
    assert rows[0].data["text"] == "hello" and rows[0].error is None
    assert "line 2: malformed JSON" in rows[1].error
    assert "line 3: invalid UTF-8" in rows[2].error
    assert "expected a JSON object" in rows[3].error
    assert "no 'text' field" in rows[4].error and "body" in rows[4].error
    assert rows[5].data == {"id": "f", "text": "last"}


def test_csv_with_text_column(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('query,id\n"hello, world",1\n안녕,2\n', encoding="utf-8")
    rows = list(iter_rows(path, text_column="query"))
    assert [(r.line, r.data["text"], r.data["id"]) for r in rows] == [(2, "hello, world", "1"), (3, "안녕", "2")]
    with pytest.raises(InvalidInputError, match="Columns found: query, id"):
        list(iter_rows(path))


def test_plain_text_one_query_a_line(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_bytes(b"first\n\nsecond\r\n\xff\xfe broken\n")
    rows = list(iter_rows(path))
    assert [(r.line, r.data.get("text"), r.error is not None) for r in rows] == [
        (1, "first", False),
        (3, "second", False),
        (4, None, True),
    ]


def test_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "q.parquet"
    pq.write_table(pa.table({"msg": ["a", "b"], "id": [1, 2]}), path)
    assert [r.data["text"] for r in iter_rows(path, text_column="msg")] == ["a", "b"]
    with pytest.raises(InvalidInputError, match="Columns found: msg, id"):
        list(iter_rows(path))


def test_local_hugging_face_dataset(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.DatasetDict(
        {"train": datasets.Dataset.from_dict({"prompt": ["x", "y"], "label": ["safe", "unsafe"]})}
    )
    ds.save_to_disk(str(tmp_path / "hf"))
    rows = list(iter_hf_dataset(tmp_path / "hf", split="train", text_column="prompt"))
    assert [(r.data["text"], r.data["label"]) for r in rows] == [("x", "safe"), ("y", "unsafe")]
    with pytest.raises(InvalidInputError, match="splits train"):
        list(iter_hf_dataset(tmp_path / "hf"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        list(iter_rows(tmp_path / "nope.jsonl"))


def test_large_file_streams(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w") as fh:
        for i in range(50_000):
            fh.write(json.dumps({"id": i, "text": f"query {i}"}) + "\n")
    rows = iter_rows(path)
    first = next(rows)  # a generator: nothing else has been read into memory
    assert first.data["text"] == "query 0"
    assert sum(1 for _ in rows) == 49_999
