"""Request and response models of the HTTP API (OpenAI moderation shape, native guard, chat)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator

from slmguard import Verdict


def _one_message(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One clear message instead of pydantic's one-per-union-branch errors."""
    try:
        return handler(value)
    except ValidationError:
        if isinstance(value, list):
            i, bad = next((i, v) for i, v in enumerate(value) if not isinstance(v, str))
            raise ValueError(f"item {i} is {type(bad).__name__} {bad!r:.40}; every item must be a string") from None
        raise ValueError(f"must be a string or a list of strings, got {type(value).__name__}") from None


Input = Annotated[str | list[str], WrapValidator(_one_message)]


class ErrorBody(BaseModel):
    message: str = Field(description="What is wrong, in words.")
    type: str = Field(description="invalid_request_error, authentication_error, rate_limit_error, server_error...")
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    """Every error, as OpenAI shapes them, so OpenAI clients raise a typed error with the message."""

    error: ErrorBody


class ModerationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: Input = Field(description="One text or a list of texts.")
    model: str | None = Field(None, description="Optional; must name this guard (see GET /v1/models).")


class ModerationResult(BaseModel):
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]
    label: str = Field(description="safe | sensitive | unsafe")
    action: str = Field(description="allow | caution | block (allow for everything in shadow mode)")
    reply: str | None = Field(None, description="The safeguard reply for block and caution verdicts.")


class ModerationResponse(BaseModel):
    id: str
    model: str
    results: list[ModerationResult]


class GuardRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: Input = Field(description="One text or a list of texts.")
    ids: list[str] | None = Field(None, description="Your ids for the texts, echoed in the results.")
    user: str | None = Field(None, max_length=256, description="End-user id stored in the decision log.")


class GuardResult(BaseModel):
    id: str | None
    label: str
    action: str
    unsafe_score: float
    sensitive_score: float
    categories: dict[str, float]
    flagged: list[str]
    lang: str
    truncated: bool
    reply: str | None

    @classmethod
    def of(cls, v: Verdict, *, action: str, reply: str | None) -> GuardResult:
        d = v.to_dict()
        d.update(action=action, reply=reply)
        d.pop("model")
        return cls(**d)


class GuardResponse(BaseModel):
    request_id: str
    model: str
    shadow: bool = Field(description="True when the server only logs: actions are then all allow.")
    results: list[GuardResult]


class ChatMessage(BaseModel):
    """One turn; fields beyond role and content (name, tool_calls...) pass through to the upstream."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """OpenAI chat completion; every other field (temperature, tools...) passes through to the upstream."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    user: str | None = Field(None, max_length=256)


class Health(BaseModel):
    status: str
    model: str | None = None
    detail: str | None = None
