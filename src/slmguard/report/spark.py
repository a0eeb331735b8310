"""The Spark engine: the same classification and aggregation as DuckDB, for logs that outgrow one machine.

Rows without a verdict are classified by a pandas UDF that loads the Guard once per Python
worker; the verdicts are written to Parquet (so the UDF runs once), then the very SQL files the
DuckDB engine runs are executed with Spark SQL on the views of `views_spark.sql`.

On a cluster, normalise the log to Parquet first (`slmguard.report.sources.normalise`, or any job
that writes `sources.SCHEMA`) and submit this module:

    spark-submit --master yarn "$(python -c 'import slmguard.report.spark as m; print(m.__file__)')" \\
        --log hdfs:///logs/normalised.parquet --out report.html
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from slmguard import Guard
from slmguard.report.aggregate import STOPWORDS, Params, Rows, render_sql, run_queries, statements

_GUARDS: dict[tuple[str | None, str | None], Guard] = {}

VERDICT_DDL = (
    "label string, action string, unsafe_score double, sensitive_score double, flagged array<string>, lang string"
)


def spark_session(master: str = "local[2]") -> Any:
    """A SparkSession for the report: UTC, few shuffle partitions (logs are aggregated to small tables)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local workers: this interpreter and its packages
    return (
        SparkSession.builder.master(master)
        .appName("slmguard-report")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def _guard(model: str | None, taxonomy: str | None) -> Guard:
    """One Guard per Python worker process, loaded on first use."""
    key = (model, taxonomy)
    if key not in _GUARDS:
        _GUARDS[key] = Guard.load(model, taxonomy=taxonomy)
    return _GUARDS[key]


def _classify_udf(model: str | None, taxonomy: str | None) -> Any:
    from pyspark.sql.functions import pandas_udf

    @pandas_udf(VERDICT_DDL)  # type: ignore[call-overload]
    def classify(texts: pd.Series) -> pd.DataFrame:
        unique = list(dict.fromkeys(texts.tolist()))
        by_text = dict(zip(unique, _guard(model, taxonomy).check_batch(unique), strict=True))
        verdicts = [by_text[t] for t in texts]
        return pd.DataFrame(
            {
                "label": [str(v.label) for v in verdicts],
                "action": [str(v.action) for v in verdicts],
                "unsafe_score": [v.unsafe_score for v in verdicts],
                "sensitive_score": [v.sensitive_score for v in verdicts],
                "flagged": [list(v.flagged) for v in verdicts],
                "lang": [v.lang for v in verdicts],
            }
        )

    return classify


def aggregate_spark(
    log: Path | str,
    params: Params,
    *,
    model: Path | None = None,
    taxonomy: Path | None = None,
    spark: Any = None,
    verdict_dir: Path | str | None = None,
) -> tuple[dict[str, Any], int]:
    """Classify rows lacking a verdict and run every report query with Spark; returns (rows, classified)."""
    from pyspark.sql import functions as F

    spark = spark or spark_session()
    src = spark.read.parquet(str(log))
    src.createOrReplaceTempView("src")
    pending = src.where(F.col("label").isNull() & (F.length(F.trim(F.coalesce(F.col("text"), F.lit("")))) > 0))
    udf = _classify_udf(str(model) if model else None, str(taxonomy) if taxonomy else None)
    out = str(verdict_dir) if verdict_dir else tempfile.mkdtemp(prefix="slmguard-spark-verdicts-")
    pending.select("row_id", udf(F.col("text")).alias("v")).select("row_id", "v.*").write.mode("overwrite").parquet(out)
    verdicts = spark.read.parquet(out)
    classified = verdicts.count()
    verdicts.createOrReplaceTempView("verdicts")
    spark.createDataFrame([(w,) for w in STOPWORDS], "word string").createOrReplaceTempView("stopwords")
    for stmt in statements(render_sql("views_spark", {})):
        spark.sql(stmt)

    def execute(sql: str) -> Rows:
        return [row.asDict(recursive=True) for row in spark.sql(sql).collect()]

    return run_queries(execute, params), classified


def main(argv: list[str] | None = None) -> None:
    """spark-submit entry point: report on a normalised Parquet log (see the module docstring)."""
    from slmguard.report.html import render_html
    from slmguard.report.pipeline import _model_name, _taxonomy, _with_thresholds
    from slmguard.report.summary import build_report

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", required=True, help="Parquet log in the normalised schema (sources.SCHEMA).")
    ap.add_argument("--out", required=True, type=Path, help="HTML report; the JSON goes next to it.")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--taxonomy", type=Path, default=None)
    ap.add_argument("--master", default=None, help="Spark master (default: the one spark-submit gives).")
    args = ap.parse_args(argv)
    from pyspark.sql import SparkSession

    spark = spark_session(args.master) if args.master else SparkSession.builder.getOrCreate()
    tax = _taxonomy(args.model, args.taxonomy)
    params = _with_thresholds(None, tax)
    raw, classified = aggregate_spark(args.log, params, model=args.model, taxonomy=args.taxonomy, spark=spark)
    source = {
        "source": args.log,
        "kind": "parquet",
        "rows": raw["overview"]["rows"],
        "skipped_rows": 0,
        "skipped_lines": [],
        "skip_reasons": {},
        "bad_timestamps": 0,
        "bad_timestamp_lines": [],
        "missing_timestamps": raw["overview"]["rows"] - raw["overview"]["rows_with_time"],
        "columns": {},
        "classified": classified,
    }
    report = build_report(
        raw, source=source, params=params, taxonomy=tax, engine="spark", model=_model_name(args.model)
    )
    args.out.write_text(render_html(report), encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
