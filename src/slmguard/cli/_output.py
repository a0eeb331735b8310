"""Render Verdicts as readable text or JSON lines, and errors as one line."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer

from slmguard import Verdict
from slmguard.errors import SlmguardError

_COLOURS = {"safe": typer.colors.GREEN, "sensitive": typer.colors.YELLOW, "unsafe": typer.colors.RED}


def fail(error: SlmguardError | str) -> NoReturn:
    """Print one line to stderr and exit with code 2."""
    typer.secho(f"Error: {error}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def json_line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False)


def render_text(text: str, verdict: Verdict, *, reply: bool = False) -> str:
    """A short human-readable block for one verdict (with its safeguard reply when `reply`)."""
    label = typer.style(f"{verdict.label.upper():9s}", fg=_COLOURS[verdict.label], bold=True)
    flagged = ", ".join(f"{c} ({verdict.categories[c]:.2f})" for c in verdict.flagged) or "-"
    preview = text if len(text) <= 80 else text[:77] + "..."
    lines = [
        f"{label} action={verdict.action}  unsafe={verdict.unsafe_score:.2f}  lang={verdict.lang}",
        f"  text:    {preview}",
        f"  flagged: {flagged}",
    ]
    if verdict.truncated:
        lines.append("  note:    text was longer than the guard reads; only parts of it were checked")
    if reply and verdict.reply:
        lines.append(f"  reply:   [{verdict.reply_strategy}, {verdict.reply_lang}, {verdict.reply_source}]")
        lines.append(f"           {verdict.reply}")
        if verdict.reply_note:
            lines.append(f"           ({verdict.reply_note})")
    return "\n".join(lines)
