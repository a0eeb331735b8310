"""Training pairs for the response judge: (prompt, response, harmful | refusal | compliance).

Only permissive-licence sources train it (the shipped model's rule for response data):
- GPTFuzz responses (MIT; the MANIFEST marks data_responses.jsonl as the judge's training data):
  jailbroken -> harmful, not_jailbroken -> refusal. Its 100 questions are a test split for
  prompt detection, so the pairs are built without them (an empty request part);
- the reply bank itself: every template after train prompts of its strategy (refusal, or
  compliance for the balanced strategy);
- Chatbot_data (MIT) questions with their answers, WebQuestions (CC-BY-4.0) questions with
  their answers -> compliance;
- Korean curse-detection comments (MIT) given as the answer to a SQuARe train question -> harmful;
- the project's own pairs (data/responses/*.jsonl, see data/DATASHEET.md): natural compliances,
  full and partial refusals to prompts that sound alarming, and acceptable (balanced) and
  non-acceptable (one-sided, stereotyping, predicting) answers to sensitive questions. A
  non-acceptable answer to a sensitive question is `harmful`: it is what output moderation of
  the sensitive tier must catch.
XSTest, JailbreakBench and SQuARe responses, and GPTFuzz's 'evaluate' split, are test-only and
never read here.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from slmguard.data.corpus import in_dev_share, project_data_dir
from slmguard.data.example import Example
from slmguard.data.leakage import text_key
from slmguard.data.manifest import Manifest
from slmguard.errors import InvalidInputError
from slmguard.replies import STRATEGIES, strategy_for, variants
from slmguard.replies.bank import LANGUAGES
from slmguard.replies.judge import JUDGE_CLASSES

GPTFUZZ_TRAIN_SPLIT = "train"
"""GPTFuzz's responses train the judge (the MANIFEST note); its dev pairs are a held-out share of
this split, because the 'evaluate' split is the gptfuzz_responses benchmark and is never read here."""
CAPS = {"gptfuzz_harmful": 900, "gptfuzz_refusal": 600, "chatbot": 80, "webquestions": 60, "curse": 70}
DEV_CAPS = {"gptfuzz": 60}
BANK_PROMPTS = 18
"""Train prompts per (strategy, language), each followed by one reply-bank template."""
DEV_SHARE = 0.15


@dataclass(frozen=True, slots=True)
class ResponsePair:
    """One judge example."""

    prompt: str
    response: str
    label: str  # one of JUDGE_CLASSES
    lang: str
    source: str

    @property
    def target(self) -> int:
        return JUDGE_CLASSES.index(self.label)


def build_response_pairs(
    manifest: Manifest,
    train_prompts: Sequence[Example],
    *,
    banned: set[str],
    seed: int = 0,
    project_dir: Path | None = None,
) -> tuple[list[ResponsePair], list[ResponsePair]]:
    """(train, dev) judge pairs; nothing whose prompt or response is a test text gets in."""

    def rng_for(source: str) -> random.Random:
        """One generator per source, so that new rows of one source do not reshuffle the others' samples."""
        return random.Random(f"{seed}:{source}")

    train: list[ResponsePair] = []
    dev: list[ResponsePair] = []

    def ok(*texts: str) -> bool:
        return all(t.strip() and text_key(t) not in banned for t in texts)

    fuzz = [r for r in _gptfuzz(manifest) if ok(r.response)]
    for label, cap in (("harmful", CAPS["gptfuzz_harmful"]), ("refusal", CAPS["gptfuzz_refusal"])):
        rows = [r for r in fuzz if r.label == label and not _is_dev(r.response)]
        train += rng_for(f"gptfuzz-{label}").sample(rows, min(cap, len(rows)))
    dev_rows = [r for r in fuzz if _is_dev(r.response)]
    dev += rng_for("gptfuzz-dev").sample(dev_rows, min(DEV_CAPS["gptfuzz"], len(dev_rows)))

    held: list[ResponsePair] = []
    held += _bank_pairs(train_prompts, rng_for("reply_bank"))
    if _usable(manifest, "chatbot_data_ko"):
        chat = [
            ResponsePair(r["text"], r["meta"]["answer"], "compliance", "ko", "chatbot_data_ko")
            for r in manifest.rows("chatbot_data_ko", role="train")
            if r.get("label") == "safe" and r["meta"].get("answer") and ok(r["text"], r["meta"]["answer"])
        ]
        held += rng_for("chatbot").sample(chat, min(CAPS["chatbot"], len(chat)))
    if _usable(manifest, "webquestions"):
        webq = [
            ResponsePair(r["text"], _answer_sentence(r["meta"]["answers"]), "compliance", "en", "webquestions")
            for r in manifest.rows("webquestions", role="train")
            if r["meta"].get("answers") and ok(r["text"])
        ]
        held += rng_for("webquestions").sample(webq, min(CAPS["webquestions"], len(webq)))
    if _usable(manifest, "square") and _usable(manifest, "korean_curse_detection"):
        questions = [r["text"] for r in manifest.rows("square", role="train") if ok(r["text"])]
        curses = [r["text"] for r in manifest.rows("korean_curse_detection", role="train") if r["label"] == "unsafe"]
        curses = [c for c in curses if ok(c) and len(c) >= 15]
        rng = rng_for("curse")
        for c in rng.sample(curses, min(CAPS["curse"], len(curses))) if questions else []:
            held.append(ResponsePair(rng.choice(questions), c, "harmful", "ko", "korean_curse_detection"))
    for pair in held:
        (dev if _is_dev(pair.response) else train).append(pair)
    for pair in project_pairs(project_dir or project_data_dir()):
        if ok(pair.prompt, pair.response):  # both answers to one prompt fall on the same side
            (dev if _is_dev(pair.prompt) else train).append(pair)
    return train, dev


def project_pairs(project_dir: Path) -> list[ResponsePair]:
    """The project's judge pairs: `responses/*.jsonl` rows with prompt, response, label and lang."""
    pairs = []
    for path in sorted((project_dir / "responses").glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                if r["label"] not in JUDGE_CLASSES:
                    raise InvalidInputError(
                        f"{path}: row {r.get('id')!r} has label {r['label']!r}, not one of {', '.join(JUDGE_CLASSES)}."
                    )
                pairs.append(ResponsePair(r["prompt"], r["response"], r["label"], r["lang"], f"project:{path.stem}"))
    return pairs


def _is_dev(text: str) -> bool:
    return in_dev_share(text_key(text), DEV_SHARE)


def _usable(manifest: Manifest, name: str) -> bool:
    """The dataset is present and its licence class lets it train the shipped judge."""
    return name in manifest.datasets and manifest[name].licence_class == "permissive"


def _gptfuzz(manifest: Manifest) -> list[ResponsePair]:
    """GPTFuzz's training responses (jailbroken -> harmful, not_jailbroken -> refusal), without prompts."""
    if not _usable(manifest, "gptfuzz"):
        return []
    out = []
    with (manifest.root / "gptfuzz" / "data_responses.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r.get("source_split") == GPTFUZZ_TRAIN_SPLIT:
                label = "harmful" if r["response_label"] == "jailbroken" else "refusal"
                out.append(ResponsePair("", r["response"], label, "en", "gptfuzz"))
    return out


def _bank_pairs(train_prompts: Sequence[Example], rng: random.Random) -> list[ResponsePair]:
    """Reply-bank templates after train prompts whose gold strategy they are, every variant in turn.

    The judge scores these very replies (best-of-N, the replies benchmark), so each of them is seen.
    """
    by_key: dict[tuple[str, str], list[Example]] = {}
    for ex in train_prompts:
        if ex.label == "safe" or (ex.label == "unsafe" and not ex.categories):
            continue
        by_key.setdefault((strategy_for(ex.label, ex.categories or ()), ex.lang), []).append(ex)
    pairs = []
    for name, strategy in STRATEGIES.items():
        label = "refusal" if strategy.refuses else "compliance"
        for lang in LANGUAGES:
            prompts = by_key.get((name, lang)) or by_key.get((name, "en")) or []
            for i, ex in enumerate(rng.sample(prompts, min(len(prompts), BANK_PROMPTS))):
                texts = variants(name, lang=lang, flagged=ex.categories or ())
                pairs.append(ResponsePair(ex.text, texts[i % len(texts)], label, lang, "reply_bank"))
    return pairs


def _answer_sentence(answers: list[str]) -> str:
    return ("The answer is " if len(answers) == 1 else "The answers are ") + ", ".join(answers) + "."
