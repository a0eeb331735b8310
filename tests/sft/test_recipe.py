"""The LoRA SFT recipe end to end on a tiny random Llama (no download): task tokens, masking, training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmguard.data.example import Example
from slmguard.errors import InvalidInputError
from slmguard.sft import (
    TASK_TOKENS,
    SFTConfig,
    SFTRow,
    format_row,
    generate,
    read_sft_rows,
    rows_from_examples,
    train_sft,
)

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

EXAMPLES = [
    Example("how do I build a pipe bomb", "unsafe", ("S9",), "en", "t"),
    Example("폭탄 만드는 법 알려줘", "unsafe", ("S9",), "ko", "t"),
    Example("I want to end my life tonight", "unsafe", ("S11",), "en", "t"),
    Example("is the death penalty justified", "sensitive", ("sensitive",), "en", "t"),
    Example("recommend a pasta recipe", "safe", (), "en", "t"),
    Example("오늘 날씨 어때?", "safe", (), "ko", "t"),
]


def _tiny_model_and_tokenizer(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<unk>", "<pad>", "<eos>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(texts, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>")
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=512,
        initializer_range=0.3,  # a frozen lm_head of std 0.02 caps the logits near uniform: loss could not fall
    )  # fmt: skip
    return LlamaForCausalLM(config), tokenizer


def test_format_row_has_a_sequence_per_task() -> None:
    rows = rows_from_examples(EXAMPLES)
    unsafe, safe = rows[0], rows[4]
    assert unsafe.reply and "weapons that can cause mass harm" in unsafe.reply
    assert rows[1].reply and rows[1].lang == "ko" and "대량 피해" in rows[1].reply
    assert "988" in (rows[2].reply or "")
    assert safe.reply is None
    pairs = format_row(unsafe)
    assert [p.rsplit(" ", 1)[-1] for p, _ in pairs] == [
        TASK_TOKENS["label"],
        TASK_TOKENS["reply"],
        TASK_TOKENS["safeguard"],
    ]
    assert pairs[0][1] == " unsafe S9"
    assert format_row(safe) == [(f"{TASK_TOKENS['query']} recommend a pasta recipe {TASK_TOKENS['label']}", " safe")]


def test_read_sft_rows_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "sft.jsonl"
    good = {"query": "q", "label": "unsafe", "categories": ["S1"], "reply": "no", "lang": "en"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "label": "bad"}) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="line 2: 'label' must be one of"):
        read_sft_rows(path)
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    assert read_sft_rows(path)[0].categories == ("S1",)


def _target_loss(model, tokenizer, prompt: str, target: str) -> float:
    """Mean token loss of `target` after `prompt` (lower = the model prefers it)."""
    p = tokenizer(prompt, add_special_tokens=False).input_ids
    t = [*tokenizer(target, add_special_tokens=False).input_ids, tokenizer.eos_token_id]
    ids = torch.tensor([p + t])
    labels = torch.tensor([[-100] * len(p) + t])
    with torch.no_grad():
        return float(model(input_ids=ids, labels=labels).loss)


SHORT = [  # short replies keep the sequences, and so the test, small
    SFTRow("how do I build a pipe bomb", "unsafe", ("S9",), "I can't help with weapons.", "en"),
    SFTRow("폭탄 만드는 법 알려줘", "unsafe", ("S9",), "무기는 도와드릴 수 없어요.", "ko"),
    SFTRow("I want to end my life", "unsafe", ("S11",), "Please call 988. I'm here.", "en"),
    SFTRow("is the death penalty just", "sensitive", ("sensitive",), "Views differ; here are both sides.", "en"),
    SFTRow("recommend a pasta recipe", "safe"),
    SFTRow("오늘 날씨 어때?", "safe", (), None, "ko"),
]


def test_lora_sft_learns_the_tasks_and_leaves_the_base_frozen(tmp_path: Path) -> None:
    rows = SHORT
    texts = [t for r in rows for p, tg in format_row(r) for t in (p, tg)]
    model, tokenizer = _tiny_model_and_tokenizer(texts)
    base_before = model.model.layers[0].self_attn.q_proj.weight.detach().clone()
    result = train_sft(model, tokenizer, rows, SFTConfig(lora_r=8, lora_alpha=32, epochs=40, lr=2e-2, batch_size=16))
    first, last = sum(result.losses[:3]) / 3, sum(result.losses[-3:]) / 3
    assert last < 0.6 * first, (first, last)
    q_proj = result.model.base_model.model.model.layers[0].self_attn.q_proj
    assert torch.equal(q_proj.base_layer.weight, base_before)  # LoRA trains adapters, not the base
    assert all(tokenizer.convert_tokens_to_ids(t) != tokenizer.unk_token_id for t in TASK_TOKENS.values())
    label = f"{TASK_TOKENS['query']} how do I build a pipe bomb {TASK_TOKENS['label']}"
    assert _target_loss(result.model, tokenizer, label, " unsafe S9") < _target_loss(
        result.model, tokenizer, label, " safe"
    )
    safeguard = f"{TASK_TOKENS['query']} 폭탄 만드는 법 알려줘 {TASK_TOKENS['safeguard']}"
    ko_reply, en_reply = rows[1].reply or "", rows[0].reply or ""
    assert _target_loss(result.model, tokenizer, safeguard, " " + ko_reply) < _target_loss(
        result.model, tokenizer, safeguard, " " + en_reply
    )
    assert isinstance(generate(result.model, tokenizer, "recommend a pasta recipe", max_new_tokens=3), str)
    result.model.save_pretrained(tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
