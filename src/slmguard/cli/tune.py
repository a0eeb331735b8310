"""`slmguard tune`: pick thresholds on dev data for a target and write them into a policy file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from slmguard import Guard
from slmguard.cli._output import fail
from slmguard.embedding_cache import cached, flush
from slmguard.errors import SlmguardError
from slmguard.eval.datasets import EvalRow, load_sets
from slmguard.eval.report import fmt
from slmguard.eval.tune import PRESETS, Rule, corpus_dev_rows, write_policy
from slmguard.eval.tune import tune as tune_policy


class Preset(StrEnum):
    strict = "strict"
    balanced = "balanced"
    loose = "loose"


def tune(
    output: Annotated[Path, typer.Option("--output", "-o", help="Policy YAML to write.")] = Path("policy.tuned.yaml"),
    preset: Annotated[
        Preset, typer.Option(help="strict: recall >= 0.95; balanced: best F1 with FPR <= 0.05; loose: FPR <= 0.01.")
    ] = Preset.balanced,
    target_recall: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Reach this recall at the lowest FPR (overrides --preset).")
    ] = None,
    max_fpr: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Highest recall with FPR at most this (overrides --preset).")
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            help="Dev data: your labelled files, or dataset names (their dev splits). Default: the "
            "project's dev corpus."
        ),
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the shipped model).")] = None,
    taxonomy: Annotated[Path | None, typer.Option(help="Policy file to start from (default: the model's).")] = None,
    cache: Annotated[bool, typer.Option(help="Reuse embeddings cached in ~/.cache/slmguard.")] = True,
) -> None:
    """Choose the operating point (tier and per-category thresholds) on dev data and write a policy file.

    Test splits are never read. The written file loads with `Guard.load(taxonomy=...)`.

    Examples:

        slmguard tune --preset strict -o policy.strict.yaml

        slmguard tune --target-recall 0.95 --data my_dev.jsonl

        slmguard check --taxonomy policy.strict.yaml "..."
    """
    if target_recall is not None and max_fpr is not None:
        fail("Give --target-recall or --max-fpr, not both.")
    if target_recall is not None:
        rule = Rule(target_recall=target_recall)
    elif max_fpr is not None:
        rule = Rule(max_fpr=max_fpr)
    else:
        rule = PRESETS[preset.value]
    try:
        guard = Guard.load(model, taxonomy=taxonomy)
        if cache:
            guard = Guard(guard.parts, cached(guard.encoder))
        if data:
            sets = load_sets(data, guard.taxonomy, role="dev")
            rows: list[EvalRow] = [r for s in sets for r in s.rows if s.task == "prompt"]
            source = ", ".join(s.source for s in sets)
        else:
            rows = corpus_dev_rows(progress=lambda msg: typer.echo(msg, err=True))
            source = "the project's dev corpus (slmguard.data.corpus)"
        typer.echo(f"scoring {len(rows)} dev rows", err=True)
        verdicts = []
        with typer.progressbar(length=len(rows), label="scoring", file=None) as bar:
            for i in range(0, len(rows), 256):
                verdicts += guard.check_batch([r.text for r in rows[i : i + 256]])
                bar.update(min(256, len(rows) - i))
        if cache:
            flush(guard.encoder)
        new, summary = tune_policy(rows, verdicts, guard.taxonomy, rule)
        path = write_policy(new, output, summary, source=source)
    except SlmguardError as exc:
        fail(exc)
    typer.echo(f"rule: {summary['rule']}; {summary['dev_rows']} dev rows")
    for kind in ("tiers", "categories"):
        for name, s in summary[kind].items():
            if "kept" in s:
                typer.echo(f"  {name:14s} {s['old']:.2f} kept ({s['kept']})")
            else:
                typer.echo(
                    f"  {name:14s} {s['old']:.2f} -> {s['threshold']:.2f}  dev recall={fmt(s['recall'])} "
                    f"FPR={fmt(s['fpr'])} F1={fmt(s['f1'])} (positives {s['positives']})"
                )
    typer.echo(f"wrote {path}")
