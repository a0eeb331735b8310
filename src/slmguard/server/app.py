"""The app factory: lifespan (model, batcher, decision log, upstream), the front door and error handlers."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import slmguard
from slmguard import Guard, Verdict
from slmguard.errors import SlmguardError
from slmguard.server.batcher import MicroBatcher
from slmguard.server.config import ServerConfig
from slmguard.server.decision_log import DecisionLog, open_log
from slmguard.server.metrics import Metrics
from slmguard.server.proxy import Upstream
from slmguard.server.schemas import ErrorResponse
from slmguard.verdict_memo import VerdictMemo

log = logging.getLogger("slmguard.server")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class ApiError(Exception):
    """An error with its HTTP status and an OpenAI-shaped body; raised by routes and dependencies."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code
        self.headers = headers or {}


@dataclass
class ServerState:
    """Everything the routes use, built once by the lifespan."""

    config: ServerConfig
    metrics: Metrics
    guard: Guard | None = None
    load_error: str | None = None
    batcher: MicroBatcher | None = None
    decision_log: DecisionLog | None = None
    upstream: Upstream | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def model_name(self) -> str:
        return self.guard.model_name if self.guard is not None else "slmguard"


def create_app(config: ServerConfig | None = None, guard: Guard | None = None) -> FastAPI:
    """Build the app. With `guard=None` the model loads in the background and /readyz says when it is ready."""
    config = config or ServerConfig()
    state = ServerState(config=config, metrics=Metrics(), guard=guard)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.decision_log = await asyncio.to_thread(
            open_log, config.log_db, log_text=config.log_text, sync=config.log_sync
        )
        state.batcher = MicroBatcher(
            _check_with(state),
            state.decision_log,
            state.metrics,
            max_batch=config.max_batch,
            max_wait_ms=config.max_wait_ms,
            max_queue=config.max_queue,
            shadow=config.shadow,
        )
        state.batcher.start()
        if config.upstream_url:
            state.upstream = Upstream(
                config.upstream_url, api_key=config.upstream_api_key, timeout_s=config.upstream_timeout_s
            )
        if state.guard is None:
            task = asyncio.create_task(_load_guard(state))
            state.tasks.add(task)
        try:
            yield
        finally:
            await state.batcher.stop()
            if state.upstream is not None:
                await state.upstream.aclose()
            state.decision_log.close()

    app = FastAPI(
        docs_url=None,  # served below from local files: no CDN needed, so /docs works offline
        redoc_url=None,
        title="slmguard",
        version=slmguard.__version__,
        summary="Safeguard for LLM services: OpenAI-compatible moderation and a guarded chat proxy.",
        lifespan=lifespan,
        responses={
            400: {"model": ErrorResponse, "description": "Invalid request: the message says what is wrong."},
            413: {"model": ErrorResponse, "description": "Body larger than max_body_bytes."},
            415: {"model": ErrorResponse, "description": "Body is not application/json."},
        },
    )
    app.state.slmguard = state
    from slmguard.server import routes  # routes import this module's ApiError

    _add_docs(app)
    _openapi_without_422(app)
    app.include_router(routes.ops)
    app.include_router(routes.v1)
    _add_error_handlers(app)
    app.add_middleware(FrontDoor, state=state)
    return app


def _add_docs(app: FastAPI) -> None:
    """Swagger UI (5.x, which reads OpenAPI 3.1) at /docs from the swagger-ui-py package's files."""
    from pathlib import Path

    import swagger_ui
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    app.mount("/docs-assets", StaticFiles(directory=Path(swagger_ui.__file__).parent / "static"), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="slmguard API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


def _openapi_without_422(app: FastAPI) -> None:
    """Validation errors are answered 400 (OpenAI's status), so the schema must not promise FastAPI's 422."""
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default()
            for ops in schema.get("paths", {}).values():
                for op in ops.values():
                    op.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _check_with(state: ServerState) -> Any:
    """The micro-batcher's classifier: the guard behind the verdict memo (`verdict_memo` texts)."""

    def check(texts: list[str]) -> list[Verdict]:
        if state.guard is None:
            raise RuntimeError("the model is not loaded yet")
        return state.guard.check_batch(texts)

    memo = VerdictMemo(check, state.config.verdict_memo, keep=_same)
    state.metrics.memo_hits.set_function(lambda: memo.hits)
    return memo.check_batch


def _same(verdict: Verdict) -> Verdict:
    return verdict


async def _load_guard(state: ServerState) -> None:
    cfg = state.config
    t0 = time.perf_counter()
    try:
        assert state.batcher is not None
        guard = await state.batcher.in_guard_thread(
            Guard.load, cfg.model_path, taxonomy=cfg.taxonomy, cascade=cfg.cascade
        )
        await state.batcher.in_guard_thread(guard.check, "warm-up")  # the first call is slow; pay it before /readyz
        state.guard = guard
    except SlmguardError as exc:
        state.load_error = str(exc)
        log.error("the model could not be loaded: %s", exc)
        return
    except Exception as exc:  # a bug or a broken install: /readyz must say "failed", not "loading" for ever
        state.load_error = f"{type(exc).__name__}: {exc}"
        log.exception("the model could not be loaded")
        return
    log.info("model %s loaded in %.1f s", state.guard.model_name, time.perf_counter() - t0)


def error_response(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"message": message, "type": type, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(
            exc.status, exc.message, type=exc.type, param=exc.param, code=exc.code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        parts = [_describe(e) for e in errors[:5]]
        more = f" (and {len(errors) - 5} more problems)" if len(errors) > 5 else ""
        first = errors[0] if errors else {}
        param = ".".join(str(x) for x in first.get("loc", ())[1:]) or None
        return error_response(400, "; ".join(parts) + more, param=param, code=str(first.get("type", "invalid")))

    @app.exception_handler(SlmguardError)
    async def _slmguard_error(request: Request, exc: SlmguardError) -> JSONResponse:
        return error_response(400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = {
            404: f"no such endpoint: {request.url.path} (see /docs)",
            405: f"{request.method} is not allowed on {request.url.path}",
        }.get(exc.status_code, str(exc.detail))
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(500, f"internal error ({type(exc).__name__}); see the server log", type="server_error")


def _describe(error: dict[str, Any]) -> str:
    """One readable line per pydantic error: where, what, and what was given."""
    loc = [str(x) for x in error.get("loc", ())]
    where = ".".join(loc[1:]) if loc and loc[0] == "body" else ".".join(loc)
    if error.get("type") == "json_invalid":
        return f"the body is not valid JSON: {error.get('ctx', {}).get('error', error.get('msg'))}"
    if error.get("type") == "missing" and not loc[1:]:
        return "the request needs a JSON body"
    given = error.get("input")
    shown = json.dumps(given, ensure_ascii=False, default=str)[:80] if given is not None else "null"
    msg = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"'{where or 'body'}': {msg} (got {shown})"


class FrontDoor:
    """Pure ASGI middleware: request id, body size limit (413), UTF-8 check (400) and request metrics."""

    def __init__(self, app: ASGIApp, *, state: ServerState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            refusal, receive = await self._read_body(scope, receive, headers)
            if refusal is not None:
                await refusal(scope, receive, send_wrapper)
            else:
                await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "other")
            self.state.metrics.requests.labels(path, str(status)).inc()
            self.state.metrics.request_seconds.labels(path).observe(time.perf_counter() - t0)

    async def _read_body(
        self, scope: Scope, receive: Receive, headers: dict[str, str]
    ) -> tuple[JSONResponse | None, Receive]:
        """Read the whole body up to the limit, then replay it; refuse oversize or non-UTF-8 bodies."""
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return None, receive
        limit = self.state.config.max_body_bytes
        too_big = error_response(
            413, f"the request body is larger than {limit} bytes (max_body_bytes)", code="body_too_large"
        )
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if not ctype:  # curl -d sends no JSON type; the API only speaks JSON, so read it as JSON
            kept = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
            scope["headers"] = [*kept, (b"content-type", b"application/json")]
        elif ctype != "application/json" and not ctype.endswith("+json"):
            return error_response(
                415, f"send the body as application/json (got Content-Type {ctype!r})", code="unsupported_media_type"
            ), receive
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return too_big, receive
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None, receive
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                return too_big, receive
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return error_response(
                400,
                f"the request body is not valid UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start})",
                code="invalid_utf8",
            ), receive
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return None, replay
