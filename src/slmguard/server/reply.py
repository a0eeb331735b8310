"""The safeguard reply the server sends: `verdict.reply` when the replies layer set it, else a neutral fallback."""

from __future__ import annotations

from slmguard import Action, Verdict

_BLOCK = {
    "en": "I can't help with that request.",
    "ko": "죄송하지만 그 요청은 도와드릴 수 없습니다.",
}
_CAUTION = {
    "en": "This is a sensitive topic; I'll answer carefully and with balance.",
    "ko": "민감한 주제이므로 신중하고 균형 있게 답변하겠습니다.",
}


def safeguard_reply(verdict: Verdict | None, *, lang: str = "en") -> str | None:
    """The reply for a block or caution verdict (None for allow); `verdict=None` means the guard could not decide."""
    if verdict is not None and verdict.reply:
        return verdict.reply
    if verdict is not None and verdict.action == Action.ALLOW:
        return None
    lang = verdict.lang if verdict is not None else lang
    table = _CAUTION if verdict is not None and verdict.action == Action.CAUTION else _BLOCK
    return table.get(lang, table["en"])
