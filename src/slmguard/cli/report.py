"""`slmguard report`: the sensitive-traffic report of a query or decision log, as HTML and JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from slmguard.cli._output import fail
from slmguard.errors import SlmguardError


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


def report(
    input: Annotated[
        str | None,
        typer.Option(
            "--input",
            "-i",
            help="Decision log (SQLite file, sqlite:///path or postgresql:// URL) or a "
            "JSONL, CSV or Parquet query log.",
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML report; the JSON goes next to it.")] = Path(
        "report.html"
    ),
    demo: Annotated[bool, typer.Option("--demo", help="Build a synthetic demo log first and report on it.")] = False,
    demo_rows: Annotated[int, typer.Option(help="Rows in the synthetic demo log.")] = 20_000,
    text_column: Annotated[
        str | None, typer.Option(help="Column with the text (default: text, query, prompt, ...).")
    ] = None,
    table: Annotated[str, typer.Option(help="Table of the decision log in SQLite/PostgreSQL.")] = "decisions",
    engine: Annotated[Engine, typer.Option(help="duckdb (one machine) or spark (PySpark; local or a cluster).")] = (
        Engine.duckdb
    ),
    min_count: Annotated[int, typer.Option(help="Show a query verbatim only if asked at least this often ...")] = 3,
    min_users: Annotated[int, typer.Option(help="... by at least this many users (when the log has user ids).")] = 2,
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the shipped model).")] = None,
    taxonomy: Annotated[Path | None, typer.Option(help="Policy file (other thresholds/actions).")] = None,
) -> None:
    """Report what users ask: tiers, categories, trends, actions, close calls, repeats and masked samples.

    Rows without a verdict are classified first (batched, with a progress bar; rerun to resume).

    Examples:

        slmguard report --demo -o demo_report.html

        slmguard report --input decisions.db -o report.html

        slmguard report --input queries.jsonl --text-column query -o report.html
    """
    from slmguard.report.aggregate import Params
    from slmguard.report.pipeline import run_report

    if demo == (input is not None):
        fail("Give either --input LOG or --demo (not both).")
    try:
        if demo:
            from slmguard.report.demo import build_demo_log

            input = str(output.with_name(output.stem + ".demo.parquet"))
            typer.echo(f"building a synthetic demo log of {demo_rows:,} rows -> {input}", err=True)
            build_demo_log(Path(input), rows=demo_rows, model=model, progress=_progress)
        assert input is not None
        report_, paths = run_report(
            input,
            output,
            model=model,
            taxonomy=taxonomy,
            text_column=text_column,
            table=table,
            engine=engine.value,
            params=Params(min_count=min_count, min_users=min_users),
            synthetic=demo,
            progress=_progress,
        )
    except SlmguardError as exc:
        fail(exc)
    for line in report_["summary"]:
        typer.echo(line, err=True)
    typer.echo(f"report -> {paths.html}\nnumbers -> {paths.json}", err=True)


def _progress(total: int, _: int) -> Callable[[int], None]:
    """A progress bar on stderr for `total` rows; returns its update callback."""
    typer.echo(f"classifying {total:,} rows without a verdict", err=True)
    bar = typer.progressbar(length=total, label="classifying", show_pos=True, file=sys.stderr)
    bar.__enter__()
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        bar.update(n)
        if done >= total:
            bar.__exit__(None, None, None)

    return tick
