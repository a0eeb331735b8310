"""`slmguard taxonomy`: show the active taxonomy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slmguard import Guard, load_taxonomy
from slmguard.cli._output import fail, json_line
from slmguard.errors import SlmguardError


def show(
    file: Annotated[Path | None, typer.Option("--file", help="A taxonomy YAML file to validate and show.")] = None,
    model: Annotated[Path | None, typer.Option(help="Show the taxonomy stored with this model directory.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per category.")] = False,
) -> None:
    """Show the categories of the active taxonomy: code, names, tier, action, threshold and the
    probability at which a category overrides the tier head (where it does).

    Without options it shows the taxonomy of the default model.
    """
    try:
        tax = load_taxonomy(file) if file else Guard.load(model).taxonomy
    except SlmguardError as exc:
        fail(exc)
    if as_json:
        for c in tax.categories:
            typer.echo(
                json_line(
                    {
                        "code": c.code,
                        "name": {"en": c.name_en, "ko": c.name_ko},
                        "tier": str(c.tier),
                        "action": str(c.action),
                        "threshold": c.threshold,
                        "overrides_tier_at": c.overrides_tier_at,
                        "description": c.description,
                        "examples": list(c.examples),
                    }
                )
            )
        return
    typer.echo(
        f"{tax.name} (version {tax.version}): unsafe_threshold={tax.unsafe_threshold}, "
        f"sensitive_threshold={tax.sensitive_threshold}"
    )
    typer.echo(f"{'code':14s} {'tier':10s} {'action':8s} {'thr':>5s} {'over':>5s}  name")
    for c in tax.categories:
        over = "" if c.overrides_tier_at is None else f"{c.overrides_tier_at:.2f}"
        typer.echo(f"{c.code:14s} {c.tier:10s} {c.action:8s} {c.threshold:5.2f} {over:>5s}  {c.name_en} / {c.name_ko}")
    if any(c.overrides_tier_at is not None for c in tax.categories):
        typer.echo("over: at this probability the category sets the label even when the tier head does not.")
