"""Schema fuzzing with schemathesis: every generated request must get no 5xx, and every 4xx a message."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode


def judge(status: int, body: bytes) -> str | None:
    """None when the response is acceptable, else what is wrong with it."""
    if status >= 500:
        return f"server error {status}: {body[:200]!r}"
    if status >= 400:
        try:
            message = requests.models.complexjson.loads(body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            return f"{status} without an error message: {body[:200]!r}"
        if not isinstance(message, str) or len(message) < 5:
            return f"{status} with an empty message: {body[:200]!r}"
    return None


def run_fuzz(
    base_url: str, *, examples: int, seed: int = 0, progress: bool = False, deadline: float | None = None
) -> dict[str, Any]:
    """Positive and negative cases for every operation in the app's OpenAPI schema; returns counts and problems.

    `deadline` (time.monotonic()) skips the operations left when it has passed.
    """
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    unsendable = 0
    session = requests.Session()
    for result in schema.get_all_operations():
        op = result.ok()
        for mode in GenerationMode:
            if deadline is not None and time.monotonic() > deadline:
                break

            @hypothesis.seed(seed)
            @hypothesis.settings(
                max_examples=examples,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis.given(case=op.as_strategy(generation_mode=mode))
            def one(case: Any) -> None:
                nonlocal unsendable
                try:
                    resp = case.call(base_url=base_url, session=session, timeout=60)
                except (requests.RequestException, ValueError, UnicodeError):
                    unsendable += 1  # e.g. a header value no HTTP client can send
                    return
                statuses[resp.status_code] += 1
                problem = judge(resp.status_code, resp.content)
                if problem and len(problems) < 50:
                    problems.append(f"{case.method} {case.path}: {problem}")

            with contextlib.suppress(hypothesis.errors.Unsatisfiable):  # e.g. no negative case for a GET
                one()
            if progress:
                print(
                    f"{op.method.upper()} {op.path} {mode.value}: {sum(statuses.values())} requests so far", flush=True
                )
    return {
        "requests": sum(statuses.values()),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_errors": sum(v for k, v in statuses.items() if k >= 500),
        "problems": problems,
        "unsendable": unsendable,
    }
