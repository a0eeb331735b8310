"""`slmguard label`: serve the review UI on a decision log or a query file, or export its labels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from slmguard.cli._output import fail
from slmguard.errors import SlmguardError


def label(
    input: Annotated[
        str, typer.Option("--input", "-i", help="Decision log (SQLite file or postgresql:// URL) or query file.")
    ],
    db: Annotated[
        str | None,
        typer.Option(help="Labels database, file or URL (default: the decision log itself, else labels.db beside it)."),
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the shipped model).")] = None,
    taxonomy: Annotated[Path | None, typer.Option(help="Policy file whose categories reviewers label with.")] = None,
    text_column: Annotated[str, typer.Option(help="Text column of a CSV/JSONL query file.")] = "text",
    limit: Annotated[int | None, typer.Option(help="Review at most this many distinct texts.")] = None,
    sensitive_may_block: Annotated[
        bool, typer.Option(help="Let a sensitive label carry a block category (refused by default).")
    ] = False,
    retrain_output: Annotated[Path, typer.Option(help="Where the Retrain button writes its model.")] = Path(
        "models/retrained"
    ),
    retrain_from_scratch: Annotated[
        bool,
        typer.Option(
            help="Retrain every head even when the policy adds categories (by default the guard is extended with "
            "them and its other outputs are kept)."
        ),
    ] = False,
    export: Annotated[
        Path | None, typer.Option(help="Write the labels as training JSONL to this file and exit (no server).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default: no auth).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
) -> None:
    """Review what the guard decided: label texts with the keyboard, export, retrain.

    Open the printed address in a browser. Labels are saved at once to the database.

    Export them with --export (or the Export button); retrain with `slmguard train --extra labels.jsonl`.
    """
    from slmguard.label.app import LabelSettings
    from slmguard.label.retrain import RetrainSettings
    from slmguard.label.store import is_url

    settings = LabelSettings(
        input=input,
        db=db,
        model=model,
        taxonomy=taxonomy,
        text_column=text_column,
        limit=limit,
        sensitive_may_block=sensitive_may_block,
        retrain=RetrainSettings(output=retrain_output, from_scratch=retrain_from_scratch),
        progress=_progress_printer(),
    )
    try:
        if export is not None:
            from slmguard.label.store import LabelStore

            n = LabelStore(settings.db_path).export_jsonl(export)
            typer.echo(f"wrote {n} labelled items to {export}")
            return
        if not is_url(input) and not Path(input).exists():
            raise SlmguardError(f"Input '{input}' does not exist.")
        import uvicorn

        from slmguard.label.app import create_app

        typer.echo(f"slmguard label: http://{host}:{port}/  (labels in {settings.db_path})", err=True)
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    except SlmguardError as exc:
        fail(exc)


def _progress_printer() -> Callable[[int, int], None]:
    """Scoring a query file at start-up can take a while: say how far it is, about every 10%."""
    shown = [0]

    def show(done: int, total: int) -> None:
        if done == total or done - shown[0] >= max(total // 10, 1):
            typer.echo(f"scored {done}/{total} texts", err=True)
            shown[0] = done

    return show
