"""Run the report's SQL (src/slmguard/report/sql/*.sql) in DuckDB and return plain rows.

The aggregation queries are written once, in SQL that DuckDB and Spark SQL both accept; only the
table set-up (`views_duckdb.sql`, `views_spark.sql`) differs per engine. `run_queries` takes any
`execute(sql) -> rows` function, so the Spark engine reuses it and its results can be compared
with DuckDB's value for value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from slmguard.report.classify import VERDICT_SCHEMA, verdict_parts

Rows = list[dict[str, Any]]
Execute = Callable[[str], Rows]

QUERIES = (
    "tiers",
    "tiers_by_lang",
    "categories",
    "categories_by_lang",
    "daily",
    "daily_categories",
    "hourly",
    "actions",
    "score_hist",
    "close_calls",
    "cooccurrence",
    "repeats",
    "top_queries",
    "top_queries_by_category",
    "samples",
    "withheld",
    "top_terms",
)
PERIOD_QUERIES = ("period_tiers", "period_categories")

# Words too common to say anything about a category (English and Korean function words).
STOPWORDS = [
    "the",
    "a",
    "an",
    "and",
    "or",
    "but",
    "if",
    "of",
    "to",
    "in",
    "on",
    "at",
    "by",
    "for",
    "with",
    "from",
    "as",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "do",
    "does",
    "did",
    "have",
    "has",
    "had",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "there",
    "their",
    "they",
    "them",
    "he",
    "she",
    "his",
    "her",
    "we",
    "our",
    "you",
    "your",
    "my",
    "me",
    "what",
    "which",
    "who",
    "whom",
    "how",
    "why",
    "when",
    "where",
    "can",
    "could",
    "should",
    "would",
    "will",
    "shall",
    "may",
    "might",
    "must",
    "not",
    "no",
    "so",
    "than",
    "then",
    "too",
    "very",
    "just",
    "about",
    "into",
    "over",
    "under",
    "out",
    "up",
    "down",
    "all",
    "any",
    "some",
    "more",
    "most",
    "other",
    "such",
    "only",
    "own",
    "same",
    "also",
    "i",
    "am",
    "get",
    "got",
    "make",
    "made",
    "tell",
    "give",
    "want",
    "need",
    "know",
    "let",
    "use",
    "using",
    "way",
    "ways",
    "best",
    "good",
    "like",
    "one",
    "two",
    "please",
    "help",
    "그",
    "이",
    "저",
    "것",
    "수",
    "등",
    "및",
    "좀",
    "더",
    "잘",
    "어떻게",
    "뭐",
    "왜",
    "무엇",
    "있어",
    "있는",
    "있나요",
    "없어",
    "하는",
    "하고",
    "하면",
    "해줘",
    "해",
    "알려줘",
    "알려",
    "주세요",
    "방법",
    "있을까",
    "돼",
    "되나요",
    "좋은",
]


@dataclass(frozen=True, slots=True)
class Params:
    """Report settings that the SQL reads; every field is shown in the report's footer."""

    min_count: int = 3  # a query is shown verbatim only if asked at least this often ...
    min_users: int = 2  # ... by at least this many users (when the log has user ids)
    top: int = 10
    top_terms: int = 12
    samples: int = 5
    bins: int = 20
    margin: float = 0.05  # a "close call" is a score within this distance of its threshold
    unsafe_threshold: float = 0.5
    sensitive_threshold: float = 0.5
    period_days: int = 7

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_sql(name: str) -> str:
    """The text of sql/<name>.sql."""
    return (resources.files("slmguard.report") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def render_sql(name: str, values: dict[str, Any]) -> str:
    """sql/<name>.sql with `{key}` filled from `values` (only known keys: regex classes like \\p{L} stay)."""
    return re.sub(
        r"\{(\w+)\}", lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), load_sql(name)
    )


def statements(sql: str) -> list[str]:
    """Split a views file into statements (on ';' at the end of a line)."""
    return [s.strip() for s in re.split(r";\s*\n", sql) if s.strip() and not _only_comments(s)]


def _only_comments(sql: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in sql.splitlines())


def plain(value: Any) -> Any:
    """Engine values as JSON-ready Python: dates as ISO strings, decimals and numpy as int/float."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "item") and not isinstance(value, list | tuple | dict | str):
        return value.item()
    return value


def periods(overview: dict[str, Any], period_days: int) -> dict[str, str] | None:
    """The current and previous periods: the last `period_days` whole days against the ones before.

    A log shorter than two periods is split into two halves (whole days); None without timestamps.
    """
    if not overview.get("last_ts"):
        return None
    first = dt.date.fromisoformat(overview["first_ts"][:10])
    end = dt.date.fromisoformat(overview["last_ts"][:10]) + dt.timedelta(days=1)
    span = (end - first).days
    days = period_days if span >= 2 * period_days else max(1, span // 2)
    cut = end - dt.timedelta(days=days)
    start = cut - dt.timedelta(days=days)
    return {"start": f"{start} 00:00:00", "cut": f"{cut} 00:00:00", "end": f"{end} 00:00:00", "days": str(days)}


def run_queries(execute: Execute, params: Params) -> dict[str, Any]:
    """Every aggregation query, through `execute`; returns {query name: rows} plus 'periods'."""
    values: dict[str, Any] = params.to_dict()
    overview = [{k: plain(v) for k, v in row.items()} for row in execute(render_sql("overview", values))]
    out: dict[str, Any] = {"overview": overview[0]}
    span = periods(out["overview"], params.period_days)
    out["periods"] = span
    for name in QUERIES + (PERIOD_QUERIES if span else ()):
        rows = execute(render_sql(name, {**values, **(span or {})}))
        out[name] = [{k: plain(v) for k, v in row.items()} for row in rows]
    if not span:
        out.update({name: [] for name in PERIOD_QUERIES})
    return out


def aggregate_duckdb(log: Path, verdict_dir: Path, params: Params, *, workdir: Path | None = None) -> dict[str, Any]:
    """Load the normalised log (plus classifier verdicts) into DuckDB and run every query."""
    import duckdb

    con = duckdb.connect(config={"threads": 2, "preserve_insertion_order": False})
    try:
        if workdir is not None:
            con.execute(f"SET temp_directory = '{workdir.as_posix()}/duckdb.tmp'")
        con.execute("CREATE TABLE stopwords (word VARCHAR)")
        con.executemany("INSERT INTO stopwords VALUES (?)", [(w,) for w in STOPWORDS])
        parts = verdict_parts(verdict_dir)
        if parts:
            verdicts = "read_parquet([" + ", ".join(f"'{p.as_posix()}'" for p in parts) + "])"
        else:
            cols = ", ".join(f"CAST(NULL AS {_duck_type(f.type)}) AS {f.name}" for f in VERDICT_SCHEMA)
            verdicts = f"(SELECT {cols} WHERE false)"
        setup = render_sql("views_duckdb", {"src": f"read_parquet('{log.as_posix()}')", "verdicts": verdicts})
        for stmt in statements(setup):
            con.execute(stmt)

        def execute(sql: str) -> Rows:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

        return run_queries(execute, params)
    finally:
        con.close()


def _duck_type(t: Any) -> str:
    import pyarrow as pa

    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_floating(t):
        return "DOUBLE"
    if pa.types.is_list(t):
        return "VARCHAR[]"
    return "VARCHAR"
