"""Guarded chat proxy: the upstream client, the texts to check, and the hold-back stream buffer."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from slmguard import Action, Verdict
from slmguard.server.reply import safeguard_reply
from slmguard.server.schemas import ChatMessage

CONTEXT_CHARS = 1000
"""Already-released text re-read with each new stream window, so a harm split across windows is seen."""
MAX_HELD_EVENTS = 256
"""Events held at most (events without text count too), so the buffer is bounded whatever the upstream sends."""
OVERLAP_CHARS = 100
"""The new text is also checked on its own (with this much before it), so a long safe context cannot dilute it."""
PIECE_CHARS = 150
"""Longer texts are also checked piece by piece (whole sentences, about this long): a sentence vector
averages over the text, so one harmful sentence after a long harmless answer scores as harmless."""
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")


def pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    """`text` cut at sentence ends into pieces of about `size` characters; [] when it is that short already.

    A sentence longer than `size` is a piece of its own; the pieces together hold every sentence.
    """
    if len(text) <= size:
        return []
    out: list[str] = []
    current = ""
    for sentence in filter(None, (part.strip() for part in _SENTENCE_END.split(text))):
        if current and len(current) + 1 + len(sentence) > size:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        out.append(current)
    return out if len(out) > 1 else []


class UpstreamError(Exception):
    """The upstream LLM failed; `status` is what our client gets (502, 504, or the upstream's own 4xx)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Upstream:
    """An OpenAI-compatible `/chat/completions` endpoint (vLLM, llama.cpp, OpenAI...)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout_s = timeout_s
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """A non-streamed completion, validated to have `choices`."""
        with self._errors():
            resp = await self.client.post("/chat/completions", json={**body, "stream": False})
        await _raise_for_status(resp)
        try:
            data = resp.json()
        except ValueError:
            raise UpstreamError(502, f"upstream returned a body that is not JSON: {resp.text[:200]!r}") from None
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            raise UpstreamError(502, f"upstream returned JSON that is not a chat completion: {str(data)[:200]}")
        return data

    async def open_stream(self, body: dict[str, Any]) -> httpx.Response:
        """Send a streamed request and check its status before any byte goes to our client."""
        request = self.client.build_request("POST", "/chat/completions", json={**body, "stream": True})
        with self._errors():
            resp = await self.client.send(request, stream=True)
        if resp.status_code >= 400:
            await resp.aread()
            await resp.aclose()
            await _raise_for_status(resp)
        return resp

    def _errors(self) -> _ErrorMap:
        return _ErrorMap(self.base_url, self.timeout_s)


class _ErrorMap:
    """Turn httpx transport errors into UpstreamError with a message that names the upstream."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self.url, self.timeout_s = url, timeout_s

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            return
        if isinstance(exc, httpx.TimeoutException):
            raise UpstreamError(504, f"upstream {self.url} did not answer within {self.timeout_s:g} s") from exc
        if isinstance(exc, httpx.HTTPError):
            raise UpstreamError(502, f"upstream {self.url} is unreachable: {exc or type(exc).__name__}") from exc


async def _raise_for_status(resp: httpx.Response) -> None:
    if resp.status_code < 400:
        return
    try:
        detail = resp.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        detail = resp.text[:200]
    if 400 <= resp.status_code < 500 and resp.status_code not in (401, 403, 429):
        raise UpstreamError(resp.status_code, f"upstream refused the request: {detail}")
    raise UpstreamError(502, f"upstream returned HTTP {resp.status_code}: {detail}")


def message_text(message: ChatMessage) -> str:
    """The text of a message: a string, or the text parts of a content list."""
    if isinstance(message.content, str):
        return message.content
    if isinstance(message.content, list):
        return "\n".join(str(p.get("text", "")) for p in message.content if p.get("type") == "text")
    return ""


def conversation_texts(messages: list[ChatMessage], *, max_texts: int) -> list[str]:
    """What input moderation reads: every turn on its own (the latest `max_texts - 1`) and the whole
    conversation joined, so a request split across turns, or hidden in a system or forged assistant
    turn, is still seen."""
    turns = [t for t in (message_text(m) for m in messages) if t.strip()]
    if len(turns) <= 1:
        return turns
    return [*turns[-(max_texts - 1) :], "\n".join(turns)]


def strictest(verdicts: list[Verdict]) -> Verdict | None:
    """The verdict that decides a group: the strictest action, then the highest unsafe score."""
    return max(verdicts, key=lambda v: (v.action.severity, v.unsafe_score), default=None)


def completion_texts(completion: dict[str, Any]) -> list[tuple[int, str]]:
    """(choice position, assistant text) for every choice with text."""
    out = []
    for i, choice in enumerate(completion.get("choices") or []):
        content = ((choice or {}).get("message") or {}).get("content") if isinstance(choice, dict) else None
        if isinstance(content, str) and content.strip():
            out.append((i, content))
    return out


def safeguard_completion(model: str, reply: str) -> dict[str, Any]:
    """A normal chat completion that carries the safeguard reply (the upstream was not called)."""
    return {
        "id": f"chatcmpl-guard-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "content_filter"}
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def sse(data: dict[str, Any] | str) -> bytes:
    body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {body}\n\n".encode()


def reply_chunks(model: str, reply: str, *, chunk_id: str | None = None) -> list[bytes]:
    """The safeguard reply as the final chunk of a stream, then [DONE]."""
    chunk = {
        "id": chunk_id or f"chatcmpl-guard-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": reply}, "finish_reason": "content_filter"}],
    }
    return [sse(chunk), sse("[DONE]")]


Check = Callable[[list[str]], Awaitable[list[Verdict] | None]]
"""Decides the texts of one stream window; None means the guard could not decide."""


@dataclass
class StreamOutcome:
    """What happened to a stream, for the log line and the metrics."""

    checks: int = 0
    blocked: bool = False
    error: str | None = None


async def hold_back(
    lines: AsyncIterator[str],
    check: Check,
    *,
    model: str,
    check_chars: int,
    enforce: bool,
    fail_closed: bool,
    outcome: StreamOutcome,
) -> AsyncIterator[bytes]:
    """Re-emit an upstream SSE stream, releasing chunks only after the text that contains them was checked.

    Chunks are held until `check_chars` new characters have arrived (or the stream ends); then the
    new text is checked in one batch: with CONTEXT_CHARS of what came before, nearly alone, and
    sentence by sentence (`pieces`). Allowed: the held chunks go out verbatim. Blocked (and
    `enforce`): the held chunks are dropped and the stream ends with the safeguard reply and
    finish_reason `content_filter`.
    So no unchecked text reaches the client.
    """
    held: list[str] = []  # raw events not yet released
    pending = ""  # their text
    context = ""  # the last CONTEXT_CHARS of released text: memory stays bounded on long answers
    released_any = False
    chunk_id: str | None = None

    async def release() -> AsyncIterator[bytes]:
        nonlocal pending, context, released_any
        if pending.strip():
            outcome.checks += 1
            texts = [context + pending]
            if context:
                texts.append(context[-OVERLAP_CHARS:] + pending)
            texts += pieces(texts[-1])
            verdicts = await check(texts)
            verdict = strictest(verdicts) if verdicts is not None else None
            blocked = verdict.action == Action.BLOCK if verdict is not None else fail_closed
            if blocked and enforce:
                outcome.blocked = True
                reply = safeguard_reply(verdict) or ""
                for b in reply_chunks(model, ("\n\n" if released_any else "") + reply, chunk_id=chunk_id):
                    yield b
                return
        context = (context + pending)[-CONTEXT_CHARS:]
        released_any = released_any or bool(pending)
        pending = ""
        for data in held:
            yield sse(data)
        held.clear()

    try:
        async for line in lines:
            if not line.startswith("data:"):
                continue  # blank separators, comments, event names
            data = line[5:].strip()
            if data == "[DONE]":
                break
            try:
                chunk = json.loads(data)
                choices = [c for c in chunk.get("choices") or [] if isinstance(c, dict)]
                delta = "".join((c.get("delta") or {}).get("content") or "" for c in choices)
            except (ValueError, AttributeError, TypeError):
                outcome.error = f"upstream sent a stream event that is not a chat completion chunk: {data[:100]!r}"
                break
            chunk_id = chunk_id or chunk.get("id")
            held.append(data)
            pending += delta
            if len(pending) >= check_chars or len(held) >= MAX_HELD_EVENTS:
                async for b in release():
                    yield b
                if outcome.blocked:
                    return
    except httpx.HTTPError as exc:
        outcome.error = f"upstream stream broke: {exc or type(exc).__name__}"
    if outcome.error is not None:
        # nothing unchecked is released; the client learns why the stream ended
        yield sse({"error": {"message": outcome.error, "type": "upstream_error"}})
        yield sse("[DONE]")
        return
    async for b in release():
        yield b
    if not outcome.blocked:
        yield sse("[DONE]")
