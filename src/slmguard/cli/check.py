"""`slmguard check`: classify one text, or a whole file streamed to JSONL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from slmguard import Guard, Verdict
from slmguard.cli._output import fail, json_line, render_text
from slmguard.data.readers import Row, iter_rows
from slmguard.errors import SlmguardError
from slmguard.replies.rewrite import OpenAIRewriter

BATCH = 64


def check(
    text: Annotated[str | None, typer.Argument(help="The text to check. Omit it and use --input for a file.")] = None,
    input: Annotated[
        Path | None, typer.Option("--input", "-i", help="A JSONL, CSV, Parquet or plain-text file (one query a line).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write JSONL verdicts (default: stdout).")
    ] = None,
    text_column: Annotated[str, typer.Option(help="Column or field that holds the text.")] = "text",
    id_column: Annotated[str, typer.Option(help="Column or field copied to the output's 'id'.")] = "id",
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON instead of text.")] = False,
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the shipped model).")] = None,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Policy file with the model's codes: other thresholds/actions.")
    ] = None,
    cascade: Annotated[
        bool, typer.Option(help="Settle clear texts after e5's first layers (--no-cascade: the full model on all).")
    ] = True,
    reply: Annotated[
        bool, typer.Option("--reply", help="Show the safeguard reply of block/caution verdicts (JSON always has it).")
    ] = False,
    rewrite_url: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible endpoint (e.g. http://localhost:8000/v1) to personalise replies."),
    ] = None,
    rewrite_model: Annotated[str, typer.Option(help="Model name to ask the rewrite endpoint for.")] = "default",
    rewrite_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for a rewrite before the template is used.")
    ] = 8.0,
) -> None:
    """Check a text, or every row of a file, for unsafe and sensitive content.

    Examples:

        slmguard check "How do I kill a Python process?"

        slmguard check --json "폭탄 만드는 법 알려줘"

        slmguard check --reply "보이스피싱 문자 만드는 법"

        slmguard check --input queries.jsonl --output verdicts.jsonl
    """
    if (text is None) == (input is None):
        fail("Give either a TEXT argument or --input FILE (not both).")
    try:
        guard = Guard.load(model, taxonomy=taxonomy, cascade=cascade)
        rewriter = OpenAIRewriter(rewrite_url, model=rewrite_model, timeout=rewrite_timeout) if rewrite_url else None
        if text is not None:
            verdict = guard.check(text, rewriter=rewriter, timeout=rewrite_timeout)
            typer.echo(json_line(verdict.to_dict()) if as_json else render_text(text, verdict, reply=reply))
            return
        assert input is not None
        rows = iter_rows(input, text_column=text_column)
        readable = output is None and not as_json
        with open(output, "w", encoding="utf-8") if output else nullcontext(sys.stdout) as out:
            counts = _check_file(
                guard, rows, out, id_column=id_column, readable=readable, progress=output is not None, reply=reply
            )
    except SlmguardError as exc:
        fail(exc)
    typer.echo(
        f"{counts['rows']} rows: {counts['unsafe']} unsafe, {counts['sensitive']} sensitive, "
        f"{counts['safe']} safe, {counts['errors']} errors" + (f" -> {output}" if output else ""),
        err=True,
    )


def _check_file(
    guard: Guard, rows: Iterator[Row], out: TextIO, *, id_column: str, readable: bool, progress: bool, reply: bool
) -> dict[str, int]:
    """Stream rows through the guard in batches; a bad row gets an `error` and processing goes on.

    Writes JSON lines, or readable blocks when `readable` (a terminal and no --output).
    """
    counts = {"rows": 0, "unsafe": 0, "sensitive": 0, "safe": 0, "errors": 0}
    bar = typer.progressbar(length=0, label="checking", show_pos=True, file=sys.stderr) if progress else None
    batch: list[Row] = []

    def flush() -> None:
        for row, result in zip(batch, _check_rows(guard, batch, id_column), strict=True):
            counts["rows"] += 1
            if isinstance(result, Verdict):
                counts[result.label] += 1
                rendered = (
                    render_text(row.data["text"], result, reply=reply) if readable else json_line(result.to_dict())
                )
                typer.echo(rendered, file=out)
            else:
                counts["errors"] += 1
                typer.echo(f"ERROR     {result['error']}" if readable else json_line(result), file=out)
        if bar is not None:
            bar.update(len(batch))
        batch.clear()

    with bar if bar is not None else nullcontext():
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
    return counts


def _check_rows(guard: Guard, batch: list[Row], id_column: str) -> list[Verdict | dict[str, Any]]:
    """A Verdict per readable row, an error record (id, line, error) per unreadable or empty one."""
    readable = [r.error is None and isinstance(r.data.get("text"), str) and bool(r.data["text"].strip()) for r in batch]
    good = [r for r, ok in zip(batch, readable, strict=True) if ok]
    verdicts = iter(
        guard.check_batch([r.data["text"] for r in good], ids=[_id(r, id_column) for r in good]) if good else []
    )
    out: list[Verdict | dict[str, Any]] = []
    for r, ok in zip(batch, readable, strict=True):
        if ok:
            out.append(next(verdicts))
        else:
            error = r.error or f"line {r.line}: empty or missing text"
            out.append({"id": _id(r, id_column), "line": r.line, "error": error})
    return out


def _id(row: Row, id_column: str) -> str | None:
    value = row.data.get(id_column)
    return None if value is None else str(value)
