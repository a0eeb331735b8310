"""PyTorch helpers the encoders share."""

from __future__ import annotations

import warnings
from typing import Any


def quantize_linear(model: Any) -> Any:
    """Dynamic int8 quantisation of every nn.Linear, per output channel: about twice as fast on CPU."""
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch announces a move of this API to torchao; it works in the pinned 2.13
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig})
