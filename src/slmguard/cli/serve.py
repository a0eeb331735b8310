"""`slmguard serve`: run the guard server (moderation API, guarded chat proxy, decision log)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slmguard.cli._output import fail


def serve(
    config: Annotated[
        Path | None, typer.Option(help="YAML or JSON settings file (env vars and flags override it).")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8080).")] = None,
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the shipped model).")] = None,
    taxonomy: Annotated[Path | None, typer.Option(help="Policy file: per-category actions and thresholds.")] = None,
    cascade: Annotated[
        bool | None,
        typer.Option("--cascade/--no-cascade", help="Settle clear texts early (default) or run the full model."),
    ] = None,
    log_db: Annotated[
        str | None, typer.Option(help="Decision log: sqlite:///PATH (default), postgresql://... or none.")
    ] = None,
    log_text: Annotated[bool | None, typer.Option("--log-text/--no-log-text", help="Store texts in the log.")] = None,
    shadow: Annotated[bool | None, typer.Option("--shadow/--enforce", help="Decide and log, allow everything.")] = None,
    fail_mode: Annotated[str | None, typer.Option(help="closed (block when undecided, default) or open.")] = None,
    upstream_url: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL for the chat proxy.")] = None,
    api_key: Annotated[
        list[str] | None, typer.Option("--api-key", help="Accepted API key (repeat for several).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the guard over HTTP (OpenAPI docs at /docs).

    Examples:

        slmguard serve --port 8080

        slmguard serve --upstream-url http://127.0.0.1:8000/v1 --api-key secret

        SLMGUARD_LOG_DB=postgresql://guard@db/guard slmguard serve --config server.yaml
    """
    import uvicorn
    from pydantic import ValidationError

    from slmguard.server import create_app, load_config

    try:
        cfg = load_config(
            config,
            host=host,
            port=port,
            model_path=model,
            taxonomy=taxonomy,
            cascade=cascade,
            log_db=log_db,
            log_text=log_text,
            shadow=shadow,
            fail_mode=fail_mode,
            upstream_url=upstream_url,
            api_keys=api_key or None,
        )
    except (ValidationError, FileNotFoundError) as exc:
        fail(str(exc).replace("\n", " "))
    uvicorn.run(create_app(cfg), host=cfg.host, port=cfg.port, log_level=log_level, access_log=False)
