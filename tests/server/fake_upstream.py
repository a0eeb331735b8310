"""A deterministic OpenAI-compatible upstream for exact proxy checks; the `model` name picks the behaviour.

echo: answers "You said: <last user text>"; safe-long: a long safe answer; unsafe: an unsafe answer;
safe-then-unsafe: a long safe part, then an unsafe part; garbage: a 200 whose body is not JSON;
garbage-stream: a stream with a broken event; error500: HTTP 500; bad-request: HTTP 400; slow: sleeps 3 s.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

SAFE_LONG = (
    "The capital of France is Paris. It is known for the Eiffel Tower, museums such as the Louvre, and its cafes. "
    "Paris sits on the Seine and has been a centre of art, science and trade for centuries. Visitors often walk "
    "along the river, visit Montmartre and try the bakeries. The city is divided into twenty arrondissements. "
)
UNSAFE = "Sure. To build a pipe bomb, pack a steel pipe with black powder, seal both ends and add a fuse."
STREAM_PIECE = 7
"""Characters per streamed chunk."""

app = FastAPI()
app.state.calls = []


def answer(model: str, messages: list[dict[str, Any]]) -> str:
    if model == "unsafe":
        return UNSAFE
    if model in ("safe-long", "garbage-stream"):
        return SAFE_LONG
    if model == "safe-then-unsafe":
        return SAFE_LONG + UNSAFE
    last = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
    return f"You said: {last}"


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> str:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


@app.post("/v1/chat/completions")
async def chat(request: Request) -> Response:
    body = await request.json()
    app.state.calls.append(body)
    model = body.get("model", "")
    if model == "slow":
        await asyncio.sleep(3)
    if model == "error500":
        return JSONResponse({"error": {"message": "upstream exploded"}}, status_code=500)
    if model == "bad-request":
        return JSONResponse({"error": {"message": "temperature must be <= 2"}}, status_code=400)
    if model == "garbage":
        return PlainTextResponse("<html>not json</html>")
    text = answer(model, body.get("messages", []))
    if not body.get("stream"):
        return JSONResponse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    async def events() -> Any:
        yield _chunk(model, {"role": "assistant", "content": ""})
        for i in range(0, len(text), STREAM_PIECE):
            if model == "garbage-stream" and i >= 3 * STREAM_PIECE:
                yield "data: {not json\n\n"
                return
            yield _chunk(model, {"content": text[i : i + STREAM_PIECE]})
        yield _chunk(model, {}, "stop")
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """Run an ASGI app with uvicorn on a loopback port in a background thread."""

    def __init__(self, asgi: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server thread did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
