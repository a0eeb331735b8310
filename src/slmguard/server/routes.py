"""Thin HTTP handlers: validate, decide through the micro-batcher, shape the response."""

from __future__ import annotations

import hmac
import time
from itertools import accumulate
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST

from slmguard import Action, Verdict
from slmguard._validation import check_texts
from slmguard.server.app import ApiError, ServerState
from slmguard.server.batcher import GuardUnavailable, Overloaded
from slmguard.server.proxy import (
    StreamOutcome,
    UpstreamError,
    completion_texts,
    conversation_texts,
    hold_back,
    pieces,
    reply_chunks,
    safeguard_completion,
    strictest,
)
from slmguard.server.reply import safeguard_reply
from slmguard.server.schemas import (
    ChatCompletionRequest,
    ErrorResponse,
    GuardRequest,
    GuardResponse,
    GuardResult,
    Health,
    Input,
    ModerationRequest,
    ModerationResponse,
    ModerationResult,
)

OPENAI_MODEL_ALIASES = ("omni-moderation-latest", "text-moderation-latest", "text-moderation-stable")
"""Model names OpenAI clients send by default; answered by this guard so existing code works unchanged."""


def get_state(request: Request) -> ServerState:
    return request.app.state.slmguard


StateDep = Annotated[ServerState, Depends(get_state)]


def require_api_key(
    state: StateDep,
    authorization: Annotated[str | None, Header(description="Bearer API key, when the server has keys")] = None,
    x_api_key: Annotated[str | None, Header(description="The API key, as an alternative to Authorization")] = None,
) -> None:
    """401 without a key, 403 with a wrong one; open when no api_keys are configured."""
    keys = state.config.api_keys
    if not keys:
        return
    given = x_api_key
    if authorization and authorization[:7].lower() == "bearer ":
        given = authorization[7:].strip() or given
    if not given:
        raise ApiError(
            401,
            "missing API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
            type="authentication_error",
            code="missing_api_key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not any(hmac.compare_digest(given.encode(), k.encode()) for k in keys):
        raise ApiError(403, "invalid API key", type="authentication_error", code="invalid_api_key")


def require_ready(state: StateDep) -> ServerState:
    if state.guard is None:
        message = f"the model failed to load: {state.load_error}" if state.load_error else "the model is still loading"
        raise ApiError(503, message, type="server_error", code="not_ready", headers={"Retry-After": "5"})
    return state


ReadyDep = Annotated[ServerState, Depends(require_ready)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": desc}
    for code, desc in {
        401: "API key missing",
        403: "API key wrong",
        429: "Guard queue full; retry after Retry-After seconds",
        503: "Model loading or guard unavailable; retry after Retry-After seconds",
    }.items()
}

ops = APIRouter(tags=["operations"])
v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)], responses=_ERRORS)


@ops.get("/healthz", response_model=Health)
def healthz(state: StateDep) -> Health:
    """The process is up (it may still be loading the model)."""
    return Health(status="ok", model=state.guard.model_name if state.guard else None)


@ops.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(state: StateDep) -> Any:
    """Ready when the model is loaded; 503 while loading or after a failed load."""
    if state.guard is None:
        status = "failed" if state.load_error else "loading"
        return JSONResponse(
            Health(status=status, detail=state.load_error).model_dump(), status_code=503, headers={"Retry-After": "5"}
        )
    return Health(status="ready", model=state.guard.model_name)


@ops.get("/metrics", response_class=Response)
def metrics(state: StateDep) -> Response:
    """Prometheus text format."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@v1.get("/models", tags=["moderation"])
def models(state: ReadyDep) -> dict[str, Any]:
    """The guard model (and the OpenAI moderation names it answers to)."""
    names = (state.model_name, "slmguard", *OPENAI_MODEL_ALIASES)
    return {"object": "list", "data": [{"id": n, "object": "model", "owned_by": "slmguard"} for n in names]}


@v1.post("/moderations", response_model=ModerationResponse, tags=["moderation"])
async def moderations(body: ModerationRequest, request: Request, state: ReadyDep) -> ModerationResponse:
    """OpenAI-compatible moderation. `flagged` means the action is block; `label`, `action`, `reply` are extra."""
    if body.model not in (None, "slmguard", state.model_name, *OPENAI_MODEL_ALIASES):
        raise ApiError(
            400,
            f"unknown model {body.model!r}; this server serves {state.model_name!r} "
            f"(also answers to 'slmguard' and {', '.join(OPENAI_MODEL_ALIASES)})",
            param="model",
            code="model_not_found",
        )
    texts = _texts(body.input, state)
    verdicts = await _decide(state, texts, endpoint="moderations", request=request)
    enforce = not state.config.shadow
    results = [
        ModerationResult(
            flagged=enforce and v.action == Action.BLOCK,
            categories={c: enforce and c in v.flagged for c in v.categories},
            category_scores=v.categories,
            label=str(v.label),
            action=str(v.action) if enforce else "allow",
            reply=safeguard_reply(v) if enforce else None,
        )
        for v in verdicts
    ]
    return ModerationResponse(id=f"modr-{request.state.request_id}", model=state.model_name, results=results)


@v1.post("/guard", response_model=GuardResponse, tags=["moderation"])
async def guard(body: GuardRequest, request: Request, state: ReadyDep) -> GuardResponse:
    """The native verdict for one text or a batch, with the safeguard reply."""
    texts = _texts(body.input, state)
    if body.ids is not None and len(body.ids) != len(texts):
        raise ApiError(400, f"'ids' has {len(body.ids)} items but 'input' has {len(texts)}", param="ids")
    verdicts = await _decide(state, texts, endpoint="guard", request=request, user_id=body.user)
    enforce = not state.config.shadow
    ids = body.ids or [None] * len(texts)
    results = [
        GuardResult.of(
            v, action=str(v.action) if enforce else "allow", reply=safeguard_reply(v) if enforce else None
        ).model_copy(update={"id": i})
        for v, i in zip(verdicts, ids, strict=True)
    ]
    return GuardResponse(
        request_id=request.state.request_id, model=state.model_name, shadow=state.config.shadow, results=results
    )


@v1.post(
    "/chat/completions",
    tags=["chat"],
    responses={
        502: {"model": ErrorResponse, "description": "Upstream unreachable or invalid"},
        504: {"model": ErrorResponse, "description": "Upstream timed out"},
    },
)
async def chat_completions(body: ChatCompletionRequest, request: Request, state: ReadyDep) -> Response:
    """Guarded proxy: input moderation over the conversation, then output moderation (streamed or not).

    Headers: X-Slmguard-Input-Action, X-Slmguard-Output-Action (non-streamed), X-Slmguard-Guard-Ms,
    X-Slmguard-Shadow. A blocked conversation gets the safeguard reply with finish_reason
    `content_filter` and the upstream is not called.
    """
    cfg = state.config
    if state.upstream is None:
        raise ApiError(
            503,
            "no upstream LLM is configured: set upstream_url (SLMGUARD_UPSTREAM_URL or --upstream-url)",
            type="server_error",
            code="no_upstream",
        )
    t0 = time.perf_counter()
    texts = conversation_texts(body.messages, max_texts=cfg.max_inputs)
    _no_surrogates(texts, "messages")
    verdict, input_action, blocked = None, "allow", False
    if texts:  # a conversation without text (e.g. only tool calls) has nothing to check
        verdicts = await _decide_or_none(
            state, texts, endpoint="chat_input", request=request, user_id=body.user, overload_is_error=True
        )
        verdict = strictest(verdicts) if verdicts is not None else None
        input_action = str(verdict.action) if verdict is not None else "undecided"
        blocked = _blocks(verdict, cfg.fail_mode)
    headers = {
        "X-Slmguard-Input-Action": input_action,
        "X-Slmguard-Shadow": "1" if cfg.shadow else "0",
    }
    guard_s = time.perf_counter() - t0
    if blocked and not cfg.shadow:
        reply = safeguard_reply(verdict) or ""
        headers["X-Slmguard-Guard-Ms"] = f"{guard_s * 1000:.1f}"
        if body.stream:
            return StreamingResponse(
                iter(reply_chunks(body.model, reply)), media_type="text/event-stream", headers=headers
            )
        return JSONResponse(safeguard_completion(body.model, reply), headers=headers)
    payload = body.model_dump(exclude_unset=True)
    if body.stream:
        return await _stream(state, payload, body.model, request, headers, guard_s)
    t_up = time.perf_counter()
    try:
        completion = await state.upstream.complete(payload)
    except UpstreamError as exc:
        raise ApiError(exc.status, exc.message, type="upstream_error", code="upstream_error") from None
    state.metrics.upstream_seconds.observe(time.perf_counter() - t_up)
    t1 = time.perf_counter()
    out_action = await _moderate_completion(state, completion, request=request, user_id=body.user)
    guard_s += time.perf_counter() - t1
    headers["X-Slmguard-Output-Action"] = str(out_action)
    headers["X-Slmguard-Guard-Ms"] = f"{guard_s * 1000:.1f}"
    return JSONResponse(completion, headers=headers)


async def _moderate_completion(
    state: ServerState, completion: dict[str, Any], *, request: Request, user_id: str | None
) -> Action:
    """Check every choice's answer, whole and piece by piece; replace a blocked one with the safeguard reply.

    (Unless shadow.) The pieces keep one harmful sentence from hiding in a long harmless answer.

    Returns the strictest output action (block when the guard could not decide and fail_mode is closed).
    """
    cfg = state.config
    outputs = completion_texts(completion)
    if not outputs:
        return Action.ALLOW
    groups = [[text, *pieces(text)] for text in (_clean(t) for _, t in outputs)]  # each answer and its pieces
    texts = [t for group in groups for t in group]
    verdicts = await _decide_or_none(state, texts, endpoint="chat_output", request=request, user_id=user_id)
    ends = list(accumulate(map(len, groups)))
    worst = Action.ALLOW
    for pos, (i, _) in enumerate(outputs):
        v = strictest(verdicts[ends[pos] - len(groups[pos]) : ends[pos]]) if verdicts is not None else None
        action = Action.BLOCK if _blocks(v, cfg.fail_mode) else (v.action if v is not None else Action.ALLOW)
        worst = max(worst, action, key=lambda a: a.severity)
        if action == Action.BLOCK and not cfg.shadow:
            choice = completion["choices"][i]
            choice["message"] = {"role": "assistant", "content": safeguard_reply(v) or ""}
            choice["finish_reason"] = "content_filter"
    return worst


async def _stream(
    state: ServerState,
    payload: dict[str, Any],
    model: str,
    request: Request,
    headers: dict[str, str],
    guard_s: float,
) -> StreamingResponse:
    """Open the upstream stream (errors become HTTP errors), then relay it through the hold-back buffer."""
    assert state.upstream is not None
    cfg = state.config
    try:
        upstream = await state.upstream.open_stream(payload)
    except UpstreamError as exc:
        raise ApiError(exc.status, exc.message, type="upstream_error", code="upstream_error") from None
    outcome = StreamOutcome()

    async def check(texts: list[str]) -> list[Verdict] | None:
        return await _decide_or_none(state, [_clean(t) for t in texts], endpoint="chat_output", request=request)

    async def relay() -> Any:
        try:
            async for piece in hold_back(
                upstream.aiter_lines(),
                check,
                model=model,
                check_chars=cfg.stream_check_chars,
                enforce=not cfg.shadow,
                fail_closed=cfg.fail_mode == "closed",
                outcome=outcome,
            ):
                yield piece
        finally:
            await upstream.aclose()
            if outcome.blocked:
                state.metrics.stream_blocks.inc()

    headers["X-Slmguard-Guard-Ms"] = f"{guard_s * 1000:.1f}"  # input moderation; output checks are in-stream
    return StreamingResponse(relay(), media_type="text/event-stream", headers=headers)


def _texts(value: Input, state: ServerState) -> list[str]:
    """The texts of `input`: non-empty, at most max_inputs, real text."""
    texts = [value] if isinstance(value, str) else list(value)
    if not texts:
        raise ApiError(400, "'input' is an empty list; give at least one text", param="input", code="empty_input")
    if len(texts) > state.config.max_inputs:
        raise ApiError(
            400,
            f"'input' has {len(texts)} texts; at most {state.config.max_inputs} per request (max_inputs)",
            param="input",
            code="too_many_inputs",
        )
    check_texts(texts, name="input")
    _no_surrogates(texts, "input")
    return texts


def _no_surrogates(texts: list[str], name: str) -> None:
    for i, t in enumerate(texts):
        try:
            t.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ApiError(
                400,
                f"'{name}[{i}]' contains a lone UTF-16 surrogate ({t[exc.start]!r} at {exc.start}), which is not text",
                param=name,
                code="invalid_text",
            ) from None


def _clean(text: str) -> str:
    """Upstream text with lone surrogates replaced, so one odd character cannot fail a micro-batch."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _blocks(verdict: Verdict | None, fail_mode: str) -> bool:
    return verdict.action == Action.BLOCK if verdict is not None else fail_mode == "closed"


async def _decide(
    state: ServerState, texts: list[str], *, endpoint: str, request: Request, user_id: str | None = None
) -> list[Verdict]:
    """Verdicts, or 429/503 with Retry-After: the moderation endpoints give no verdict they could not make."""
    assert state.batcher is not None
    try:
        return await state.batcher.decide(
            texts,
            endpoint=endpoint,
            request_id=request.state.request_id,
            user_id=user_id,
            timeout=state.config.guard_timeout_s,
        )
    except Overloaded as exc:
        raise ApiError(
            429, str(exc), type="rate_limit_error", code="overloaded", headers={"Retry-After": "1"}
        ) from None
    except GuardUnavailable as exc:
        raise ApiError(
            503, str(exc), type="server_error", code="guard_unavailable", headers={"Retry-After": "1"}
        ) from None


async def _decide_or_none(
    state: ServerState,
    texts: list[str],
    *,
    endpoint: str,
    request: Request,
    user_id: str | None = None,
    overload_is_error: bool = False,
) -> list[Verdict] | None:
    """Verdicts, or None when the guard could not decide (the proxy then applies fail_mode)."""
    try:
        return await _decide(state, texts, endpoint=endpoint, request=request, user_id=user_id)
    except ApiError as exc:
        if overload_is_error and exc.status == 429:
            raise
        return None
