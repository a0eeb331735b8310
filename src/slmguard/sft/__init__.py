"""A generative multi-task safeguard SLM: LoRA fine-tuning recipe (transformers + peft).

For users with a GPU and their own base model; the shipped guard does not need it. Install
with `pip install 'slmguard[sft]'`. See `recipe.py` for the data format and the task tokens.
"""

from __future__ import annotations

from slmguard.sft.recipe import (
    TASK_TOKENS,
    SFTConfig,
    SFTResult,
    SFTRow,
    format_row,
    generate,
    read_sft_rows,
    rows_from_examples,
    train_sft,
)

__all__ = [
    "TASK_TOKENS",
    "SFTConfig",
    "SFTResult",
    "SFTRow",
    "format_row",
    "generate",
    "read_sft_rows",
    "rows_from_examples",
    "train_sft",
]
