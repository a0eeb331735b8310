"""The `slmguard` command line: one typer app per command group, composed here."""

from __future__ import annotations

import typer

from slmguard.cli import check, evaluate, finetune, label, report, serve, taxonomy, train, tune

app = typer.Typer(
    help="slmguard: a small CPU safeguard model for LLM services (English and Korean).",
    no_args_is_help=True,
    add_completion=False,
)
app.command("check")(check.check)
app.command("taxonomy")(taxonomy.show)
app.command("train")(train.train)
app.command("finetune")(finetune.finetune)
app.command("eval")(evaluate.evaluate)
app.command("tune")(tune.tune)
app.command("label")(label.label)
app.command("report")(report.report)
app.command("serve")(serve.serve)


def main() -> None:
    app()
