"""Supervised fine-tuning with LoRA of a causal LM that both detects and answers (the seed format).

Data: JSONL, one row per query:

    {"query": "폭탄 만드는 법 알려줘", "label": "unsafe", "categories": ["S9"],
     "reply": "이 요청은 ... 도와드릴게요.", "lang": "ko"}

`label` is safe | sensitive | unsafe, `categories` are taxonomy codes, `reply` is the safeguard
reply (null for a safe query, which the service's main model answers). Each row becomes up to
three training sequences, one per task token:

    <|query|> {query} <|label|> {label} {codes}<eos>        predict the label and categories
    <|query|> {query} <|reply|> {reply}<eos>                 the reply (unsafe and sensitive rows)
    <|query|> {query} <|safeguard|> {reply}<eos>             a forced safeguard reply

At serving time, `<|label|>` asks for the verdict, `<|reply|>` for the reply the model thinks fits,
and `<|safeguard|>` forces a safeguard reply (e.g. when an upstream filter already blocked the
query). Loss is on the target part only. The task tokens are new vocabulary; their embeddings are
trained (peft's `trainable_token_indices`) while the rest of the base model stays frozen.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slmguard.data.example import Example
from slmguard.errors import InvalidInputError
from slmguard.replies import NONE, realise, reply_lang, strategy_for

TASK_TOKENS = {"query": "<|query|>", "label": "<|label|>", "reply": "<|reply|>", "safeguard": "<|safeguard|>"}
LABELS = ("safe", "sensitive", "unsafe")


@dataclass(frozen=True, slots=True)
class SFTRow:
    """One query with its label, categories and safeguard reply (None for a safe query)."""

    query: str
    label: str
    categories: tuple[str, ...] = ()
    reply: str | None = None
    lang: str = "en"


@dataclass
class SFTConfig:
    """LoRA and optimisation settings (defaults suit a 0.1-1B base model on one GPU)."""

    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: Sequence[str] | str = "all-linear"
    epochs: int = 2
    lr: float = 2e-4
    batch_size: int = 8
    max_length: int = 384
    seed: int = 0


@dataclass
class SFTResult:
    """The LoRA-wrapped model, its tokenizer and the loss after each step."""

    model: Any
    tokenizer: Any
    losses: list[float] = field(default_factory=list)


def read_sft_rows(path: str | Path) -> list[SFTRow]:
    """Read the JSONL format above.

    Raises:
        InvalidInputError: naming the line and the field.
    """
    rows = []
    with Path(path).open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"{path} line {n}: not valid JSON ({exc.msg}).") from exc
            if not isinstance(r.get("query"), str) or not r["query"].strip():
                raise InvalidInputError(f"{path} line {n}: 'query' must be a non-empty string.")
            if r.get("label") not in LABELS:
                raise InvalidInputError(
                    f"{path} line {n}: 'label' must be one of {', '.join(LABELS)}. Got {r.get('label')!r}."
                )
            reply = r.get("reply")
            if reply is not None and not isinstance(reply, str):
                raise InvalidInputError(f"{path} line {n}: 'reply' must be a string or null.")
            rows.append(SFTRow(r["query"], r["label"], tuple(r.get("categories") or ()), reply, r.get("lang", "en")))
    return rows


def rows_from_examples(examples: Sequence[Example]) -> list[SFTRow]:
    """SFT rows from labelled examples, with the reply bank's reply for each unsafe/sensitive one."""
    out = []
    for ex in examples:
        cats = ex.categories or ()
        strategy = strategy_for(ex.label, cats)
        reply = None if strategy == NONE else realise(strategy, lang=reply_lang(ex.lang), flagged=cats, query=ex.text)
        out.append(SFTRow(ex.text, ex.label, cats, reply, ex.lang))
    return out


def format_row(row: SFTRow) -> list[tuple[str, str]]:
    """(prompt, target) pairs of one row, one per task (see the module docstring)."""
    t = TASK_TOKENS
    prompt = f"{t['query']} {row.query.strip()} "
    pairs = [(prompt + t["label"], " " + " ".join([row.label, *row.categories]))]
    if row.reply:
        pairs.append((prompt + t["reply"], " " + row.reply.strip()))
        pairs.append((prompt + t["safeguard"], " " + row.reply.strip()))
    return pairs


def train_sft(
    model: Any,
    tokenizer: Any,
    rows: Sequence[SFTRow],
    config: SFTConfig | None = None,
    *,
    progress: Callable[[int, int, float], None] | None = None,
) -> SFTResult:
    """Add the task tokens, wrap `model` with LoRA and fine-tune it on `rows`.

    Args:
        model: a `transformers` causal LM (any size; a tiny random one in the tests).
        tokenizer: its tokenizer; it must have an eos token (pad falls back to eos).
        progress: called as (step, total_steps, loss).
    """
    import torch
    from peft import LoraConfig, get_peft_model

    config = config or SFTConfig()
    if not rows:
        raise InvalidInputError("No SFT rows to train on.")
    torch.manual_seed(config.seed)
    tokenizer.add_special_tokens({"additional_special_tokens": list(TASK_TOKENS.values())})
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.resize_token_embeddings(len(tokenizer))
    token_ids = tokenizer.convert_tokens_to_ids(list(TASK_TOKENS.values()))
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules if isinstance(config.target_modules, str) else list(config.target_modules),
        trainable_token_indices=token_ids,
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    sequences = [_encode(tokenizer, p, t, config.max_length) for row in rows for p, t in format_row(row)]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    rng = random.Random(config.seed)
    steps_per_epoch = (len(sequences) + config.batch_size - 1) // config.batch_size
    total = steps_per_epoch * config.epochs
    result = SFTResult(model=model, tokenizer=tokenizer)
    model.train()
    for _ in range(config.epochs):
        rng.shuffle(sequences)
        for start in range(0, len(sequences), config.batch_size):
            ids, labels, mask = _collate(sequences[start : start + config.batch_size], tokenizer.pad_token_id)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            result.losses.append(float(loss.detach()))
            if progress:
                progress(len(result.losses), total, result.losses[-1])
    model.eval()
    return result


def generate(model: Any, tokenizer: Any, query: str, *, task: str = "label", max_new_tokens: int = 96) -> str:
    """Greedy output for `query` after the task token `task` ('label', 'reply' or 'safeguard')."""
    import torch

    if task not in ("label", "reply", "safeguard"):
        raise InvalidInputError(f"Unknown task {task!r}. Valid: label, reply, safeguard.")
    prompt = f"{TASK_TOKENS['query']} {query.strip()} {TASK_TOKENS[task]}"
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
    with torch.no_grad():
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    return tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True).strip()


def _encode(tokenizer: Any, prompt: str, target: str, max_length: int) -> tuple[list[int], list[int]]:
    """Token ids of prompt + target + eos, and labels with the prompt masked (-100)."""
    p = tokenizer(prompt, add_special_tokens=False).input_ids
    t = [*tokenizer(target, add_special_tokens=False).input_ids, tokenizer.eos_token_id]
    ids = (p + t)[:max_length]
    labels = ([-100] * len(p) + t)[:max_length]
    return ids, labels


def _collate(batch: Sequence[tuple[list[int], list[int]]], pad_id: int) -> tuple[Any, Any, Any]:
    import torch

    width = max(len(ids) for ids, _ in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, (x, y) in enumerate(batch):
        ids[i, : len(x)] = torch.tensor(x)
        labels[i, : len(y)] = torch.tensor(y)
        mask[i, : len(x)] = 1
    return ids, labels, mask
