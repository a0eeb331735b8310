"""PyTorch helpers the encoders share (torch itself is imported only when a model loads)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

INT8_TAG = "int8-rowscaled"
"""Part of a quantised encoder's version: row-scaled int8 matmuls (see `bert.RowScaledInt8Linear`)."""
PACK_TOKENS = 512
"""Tokens per forward pass: a batch shares the matmuls, and memory stays bounded."""


def quantize_linear(model: Any) -> Any:
    """Dynamic int8 quantisation of every nn.Linear (per output channel), each wrapped in
    `RowScaledInt8Linear`: about twice as fast on CPU as fp32, and batch-invariant.

    In place: a quantised copy would hold the fp32 weights and the int8 ones at once at load time.
    """
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    from slmguard.encoders.bert import RowScaledInt8Linear

    with warnings.catch_warnings():  # torch announces a move of this API to torchao; it works in the pinned 2.13
        warnings.simplefilter("ignore")
        quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, inplace=True)

    def wrap(module: Any) -> None:
        for name, child in module.named_children():
            if isinstance(child, DynamicLinear):
                setattr(module, name, RowScaledInt8Linear(child))
            else:
                wrap(child)

    wrap(model)
    return model


def packs(lengths: Sequence[int], pack_tokens: int) -> list[list[int]]:
    """Indices grouped into forward passes of at most `pack_tokens` tokens, shortest texts first."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    out: list[list[int]] = []
    tokens = 0
    for i in order:
        if out and tokens + lengths[i] <= pack_tokens:
            out[-1].append(i)
            tokens += lengths[i]
        else:
            out.append([i])
            tokens = lengths[i]
    return out
