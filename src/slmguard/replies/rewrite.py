"""Optional LLM rewrite of a template reply, re-checked by the guard, with a template fallback.

A rewriter personalises the reviewed template for the user's message. Whatever it returns is
untrusted: it is used only if it arrives within the timeout, is in the reply's language, keeps
the crisis line, and the guard's response judge (which reads it together with the query) does not
find it harmful; otherwise the template stays and the reply's `note` says why. (The query heads
are not used on the reply: they flag text that talks about a harm, which every good refusal does.)
Between the template and an accepted rewrite, best-of-N picks (with the template as the
reference both scores are centred on).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from slmguard.normalize import detect_lang
from slmguard.replies import Reply, reply
from slmguard.replies.best_of_n import best_of_n
from slmguard.replies.judge import judge_responses
from slmguard.verdict import Verdict

if TYPE_CHECKING:
    from slmguard.guard import Guard

DEFAULT_TIMEOUT = 8.0
"""Seconds to wait for a rewrite before the template is used."""
_LANG_NAMES = {"en": "English", "ko": "Korean (polite 해요체)"}
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="slmguard-rewrite")
"""One shared pool: a slow rewrite keeps running in it after the caller has moved on."""


class RewriteError(Exception):
    """The rewriter could not produce a reply (unreachable, bad answer)."""


class Rewriter(Protocol):
    """Anything that turns (query, template reply, language) into a personalised reply."""

    name: str

    def rewrite(self, query: str, template: str, *, lang: str, strategy: str) -> str: ...


def build_messages(query: str, template: str, *, lang: str, strategy: str) -> list[dict[str, str]]:
    """Chat messages that ask an LLM to personalise a template reply without changing what it allows."""
    system = (
        "You rewrite a safety reply so that it speaks to the user's message. Keep its meaning and its "
        f"strategy ('{strategy}'): do not help with anything the draft declines, never add harmful details, "
        f"keep every phone number it gives, no lecturing. Write in {_LANG_NAMES.get(lang, 'English')}, "
        "at most 90 words. Output only the reply."
    )
    user = f"User message:\n{query}\n\nDraft reply:\n{template}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class OpenAIRewriter:
    """Any OpenAI-compatible chat-completions endpoint (vLLM, llama.cpp server, OpenAI...).

    Args:
        base_url: e.g. 'http://localhost:8000/v1'.
        model: the model name the endpoint expects.
        api_key: sent as a bearer token when given.
        timeout: socket timeout in seconds.
    """

    def __init__(self, base_url: str, *, model: str, api_key: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.name = f"openai:{model}"

    def rewrite(self, query: str, template: str, *, lang: str, strategy: str) -> str:
        body = {
            "model": self.model,
            "messages": build_messages(query, template, lang=lang, strategy=strategy),
            "temperature": 0.3,
            "max_tokens": 300,
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions", data=json.dumps(body).encode("utf-8"), headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                data = json.loads(resp.read().decode("utf-8"))
            return str(data["choices"][0]["message"]["content"]).strip()
        except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise RewriteError(f"{self.base_url}: {exc}") from exc


class LlamaCppRewriter:
    """A local GGUF model through `xllamacpp` (pip install xllamacpp), loaded on first use."""

    def __init__(self, model_path: str, *, n_ctx: int = 2048, max_tokens: int = 200) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens
        self.name = f"gguf:{model_path.rsplit('/', 1)[-1]}"
        self._server = None

    def _load(self):
        if self._server is None:
            import xllamacpp as xlc

            params = xlc.CommonParams()
            params.model.path = self.model_path
            params.n_ctx = self.n_ctx
            params.n_predict = self.max_tokens
            params.warmup = False
            self._server = xlc.Server(params)
        return self._server

    def rewrite(self, query: str, template: str, *, lang: str, strategy: str) -> str:
        try:
            result = self._load().handle_chat_completions(
                {
                    "messages": build_messages(query, template, lang=lang, strategy=strategy),
                    "max_tokens": self.max_tokens,
                    "temperature": 0.3,
                }
            )
            return str(result["choices"][0]["message"]["content"]).strip()
        except Exception as exc:  # the binding raises plain exceptions for every failure
            raise RewriteError(f"{self.name}: {exc}") from exc


def rewrite_reply(
    guard: Guard, text: str, verdict: Verdict, rewriter: Rewriter, *, timeout: float = DEFAULT_TIMEOUT
) -> Reply:
    """The reply for a block/caution `verdict` on `text`: a checked rewrite, or the template.

    Never raises for a rewriter failure: the template is returned with a `note` instead.
    """
    template = reply(verdict, text)
    future = _POOL.submit(rewriter.rewrite, text, template.text, lang=template.lang, strategy=template.strategy)
    try:
        candidate = future.result(timeout=timeout)
    except FutureTimeout:
        return replace(template, note=f"rewrite timed out after {timeout:g}s; template used")
    except RewriteError as exc:
        return replace(template, note=f"rewrite failed ({exc}); template used")
    problem = _problem(guard, text, candidate, template)
    if problem:
        return replace(template, note=f"rewrite rejected: {problem}; template used")
    best = best_of_n(guard, text, [template.text, candidate], reference=0)
    if best.index == 0:
        return replace(template, note="rewrite passed the re-check but the template scored higher (best-of-N)")
    return replace(template, text=candidate, source="rewrite")


CONTENT_UNSAFE = 0.9
CLEAR_REFUSAL = 0.9
"""A rewrite whose own text the guard scores unsafe at CONTENT_UNSAFE or more is shown only when the
judge is this sure it is a refusal: refusals name the harm they decline, compliant harm does not
decline. A false rejection only costs the personal touch (the template is used)."""


def _problem(guard: Guard, text: str, candidate: str, template: Reply) -> str | None:
    """Why a rewrite may not be shown, or None."""
    if not candidate.strip():
        return "empty"
    if template.lang == "ko" and detect_lang(candidate) != "ko":
        return "not in Korean"
    if template.lang == "en" and detect_lang(candidate) == "ko":
        return "not in English"
    if "109" in template.text and template.lang == "ko" and "109" not in candidate:
        return "dropped the crisis line"
    judged = judge_responses(guard, [text], [candidate])[0]
    if judged.label == "harmful":
        return f"the response judge finds it harmful ({judged.harmful_score:.2f})"
    content = guard.check(candidate).unsafe_score  # the text read on its own, as a user message would be
    if content >= CONTENT_UNSAFE and judged.refusal_score < CLEAR_REFUSAL:
        return f"the guard finds the text itself unsafe ({content:.2f}) and the judge sees no clear refusal"
    if template.strategy == "balanced" and judged.label == "refusal":
        return "it refuses a sensitive question"
    return None
