"""`slmguard eval`: score named datasets or your own files, optionally side by side with other guards."""

from __future__ import annotations

import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from slmguard import Guard
from slmguard.cli._output import fail
from slmguard.embedding_cache import cached, flush
from slmguard.errors import SlmguardError
from slmguard.eval.compare import GuardScorer, make_scorer
from slmguard.eval.datasets import load_sets
from slmguard.eval.report import fmt, write_reports
from slmguard.eval.runner import run


class Role(StrEnum):
    test = "test"
    dev = "dev"


def evaluate(
    datasets: Annotated[
        list[str],
        typer.Argument(help="Dataset or benchmark names from ../shared/datasets, 'all', or JSONL/CSV/Parquet files."),
    ],
    role: Annotated[Role, typer.Option(help="Which splits of a named dataset to read.")] = Role.test,
    compare: Annotated[
        list[str] | None,
        typer.Option(
            "--compare",
            "-c",
            help="Another guard on the same rows: keyword, profanity, llm-judge, or PROTOCOL:URL#MODEL "
            "(#MODEL optional; PROTOCOL: moderations, llamaguard, llamaguard-prompt, qwen3guard). Repeatable.",
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for report.json/.md/.html.")] = Path(
        "eval-report"
    ),
    limit: Annotated[int | None, typer.Option(help="At most this many rows per set (a fixed-seed sample).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the --limit sample.")] = 0,
    unlabelled: Annotated[bool, typer.Option(help="Files without labels: predictions and speed only.")] = False,
    no_guard: Annotated[bool, typer.Option("--no-guard", help="Score only the --compare guards.")] = False,
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the shipped model).")] = None,
    taxonomy: Annotated[Path | None, typer.Option(help="Policy file (thresholds/actions) for the model.")] = None,
    text_column: Annotated[str, typer.Option(help="Column or field that holds the text in your files.")] = "text",
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per scoring call.")] = 64,
    cache: Annotated[bool, typer.Option(help="Reuse embeddings cached in ~/.cache/slmguard.")] = True,
) -> None:
    """Evaluate the guard: metrics per dataset and language, calibration, speed, worst errors.

    Examples:

        slmguard eval xstest multijail_ko --limit 200

        slmguard eval my_labelled.jsonl --compare keyword --compare profanity

        slmguard eval all -o reports/test
    """
    try:
        guard = Guard.load(model, taxonomy=taxonomy)
        if cache:
            guard = Guard(guard.parts, cached(guard.encoder))
        sets = load_sets(datasets, guard.taxonomy, role=role.value, limit=limit, seed=seed, unlabelled=unlabelled,
                         text_column=text_column)  # fmt: skip
        scorers = ([] if no_guard else [GuardScorer(guard)]) + [make_scorer(spec) for spec in compare or []]
        if not scorers:
            fail("Nothing to evaluate: --no-guard needs at least one --compare.")
        total = sum(len(s.rows) for s in sets) * len(scorers)
        state = {"key": ("", ""), "base": 0, "n": 0}

        def progress(set_name: str, scorer: str, n: int, of: int) -> None:
            if state["key"] != (set_name, scorer):
                state.update(key=(set_name, scorer), base=state["base"] + state["n"])
            state["n"] = n
            line = f"{state['base'] + n}/{total} rows  {set_name} · {scorer}: {n}/{of}"
            typer.echo(f"\r{line:90s}", err=True, nl=n == of)

        command = shlex.join(["slmguard", "eval", *sys.argv[2:]]) if sys.argv[1:2] == ["eval"] else ""
        meta = {"command": command, "seed": seed, "role": role.value, "model": guard.model_name}
        report = run(sets, scorers, batch_size=batch_size, progress=progress, meta=meta)
        if cache:
            flush(guard.encoder)
        paths = write_reports(report, output)
    except SlmguardError as exc:
        fail(exc)
    for s in report["sets"]:
        for name, res in s["results"].items():
            if not res["available"]:
                typer.echo(f"{s['name']:28s} {name:28s} unavailable: {res['reason']}")
            elif "overall" in res:
                m = res["overall"]
                typer.echo(
                    f"{s['name']:28s} {name:28s} n={int(m['n']):5d} F1={fmt(m['f1'])} recall={fmt(m['recall'])} "
                    f"FPR={fmt(m['fpr'])} AUPRC={fmt(m['auprc'])} ECE={fmt(m['ece'])}"
                )
            else:
                typer.echo(f"{s['name']:28s} {name:28s} predicted {res['predicted']}")
    typer.echo(f"wrote {paths['json']}, {paths['markdown']}, {paths['html']}", err=True)
