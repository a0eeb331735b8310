"""Guard: the public facade. normalize -> encode -> heads -> calibration -> decision -> Verdict."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from slmguard._validation import check_text, check_texts
from slmguard.artifacts import ModelParts, load_model, save_model
from slmguard.encoders import Encoder, get_encoder
from slmguard.errors import InvalidInputError, ModelLoadError
from slmguard.heads import decide
from slmguard.normalize import detect_lang, normalize
from slmguard.taxonomy import Taxonomy, load_taxonomy
from slmguard.verdict import Verdict

CHUNK_CHARS = 1500
"""Characters per encoder call; longer texts are split into chunks."""
MAX_CHUNKS = 4
"""Chunks scored per text: the first ones and the last one. Beyond that the text is `truncated`."""


def default_model_path() -> Path:
    """`$SLMGUARD_MODEL`, else the model shipped with the repository (`models/default`)."""
    env = os.environ.get("SLMGUARD_MODEL")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "models" / "default"


class Guard:
    """Detects unsafe and sensitive texts under a taxonomy.

    >>> guard = Guard.load()
    >>> guard.check("How do I kill a Python process?").label
    <Label.SAFE: 'safe'>
    """

    def __init__(self, parts: ModelParts, encoder: Encoder) -> None:
        self.parts = parts
        self.encoder = encoder

    @classmethod
    def load(cls, path: str | Path | None = None, *, taxonomy: str | Path | None = None) -> Guard:
        """Load a saved model (the shipped default when `path` is None).

        Args:
            path: a model directory written by `Guard.save` or `slmguard train`.
            taxonomy: a policy file with the same category codes as the model, to change
                thresholds and actions without retraining.

        Raises:
            ModelLoadError: the model is missing or corrupt.
            TaxonomyError: the taxonomy file is invalid.
        """
        parts = load_model(path if path is not None else default_model_path())
        if taxonomy is not None:
            parts.taxonomy = _compatible(load_taxonomy(taxonomy), parts.category_codes)
        encoder = get_encoder(parts.encoder)
        trained_on = parts.info.get("encoder_version")
        if trained_on and trained_on != encoder.version:
            raise ModelLoadError(
                f"Model '{path or default_model_path()}' was trained on encoder {trained_on}, but this installation "
                f"has {encoder.version}: retrain it with `slmguard train`."
            )
        encoder.load()
        return cls(parts, encoder)

    def save(self, path: str | Path, *, model_card: str | None = None) -> Path:
        return save_model(self.parts, path, model_card=model_card)

    @property
    def taxonomy(self) -> Taxonomy:
        return self.parts.taxonomy

    @property
    def model_name(self) -> str:
        return f"{self.parts.name}-{self.parts.version}"

    def check(self, text: str, *, id: str | None = None) -> Verdict:
        """Classify one text.

        Raises:
            InvalidInputError: `text` is not a string or is empty.
        """
        check_text(text)
        return self._predict([text], [id])[0]

    def check_batch(self, texts: Sequence[str], *, ids: Sequence[str | None] | None = None) -> list[Verdict]:
        """Classify many texts at once (faster per text than repeated `check`)."""
        texts = check_texts(texts)
        if ids is not None and len(ids) != len(texts):
            raise InvalidInputError(f"'ids' has {len(ids)} items but 'texts' has {len(texts)}.")
        return self._predict(texts, list(ids) if ids is not None else [None] * len(texts))

    def _score(self, normalized: list[str]) -> tuple[np.ndarray, np.ndarray]:
        X = self.encoder.encode(normalized)
        tier_logits, cat_logits = self.parts.heads.predict_logits(X)
        return self.parts.tier_calibration.transform(tier_logits), self.parts.category_calibration.transform(cat_logits)

    def _predict(self, texts: list[str], ids: list[str | None]) -> list[Verdict]:
        chunks, owner, truncated = _chunk(texts)
        normalized = [normalize(c) for c in chunks]
        tier, cats = _max_by_owner(*self._score(normalized), owner, len(texts))
        first_chunk = {i: row for row, i in reversed(list(enumerate(owner)))}  # a text's first chunk
        langs = [detect_lang(normalized[first_chunk[i]]) for i in range(len(texts))]
        codes = self.parts.category_codes
        verdicts = []
        for i, text_id in enumerate(ids):
            categories = {code: round(float(p), 6) for code, p in zip(codes, cats[i], strict=True)}
            decision = decide(tier[i], categories, self.taxonomy)
            verdicts.append(
                Verdict(
                    label=decision.label,
                    unsafe_score=round(float(tier[i, 2]), 6),
                    sensitive_score=round(float(tier[i, 1]), 6),
                    categories=categories,
                    flagged=decision.flagged,
                    action=decision.action,
                    lang=langs[i],
                    model=self.model_name,
                    id=text_id,
                    truncated=truncated[i],
                )
            )
        return verdicts

    def with_taxonomy(self, taxonomy: Taxonomy) -> Guard:
        """A Guard that shares this model but decides with another compatible taxonomy."""
        return Guard(replace(self.parts, taxonomy=_compatible(taxonomy, self.parts.category_codes)), self.encoder)


def _compatible(taxonomy: Taxonomy, codes: tuple[str, ...]) -> Taxonomy:
    if set(taxonomy.codes) != set(codes):
        missing = sorted(set(codes) - set(taxonomy.codes))
        extra = sorted(set(taxonomy.codes) - set(codes))
        raise ModelLoadError(
            f"Taxonomy '{taxonomy.name}' does not match the model's categories "
            f"(missing: {', '.join(missing) or 'none'}; new: {', '.join(extra) or 'none'}). "
            "Train heads for it with `slmguard train --taxonomy FILE`."
        )
    return taxonomy


def _chunk(texts: Sequence[str]) -> tuple[list[str], list[int], list[bool]]:
    """Split long texts into chunks: the first MAX_CHUNKS-1 and the last one."""
    chunks: list[str] = []
    owner: list[int] = []
    truncated: list[bool] = []
    for i, text in enumerate(texts):
        if len(text) <= CHUNK_CHARS:
            chunks.append(text)
            owner.append(i)
            truncated.append(False)
            continue
        pieces = [text[s : s + CHUNK_CHARS] for s in range(0, len(text), CHUNK_CHARS)]
        kept = pieces if len(pieces) <= MAX_CHUNKS else [*pieces[: MAX_CHUNKS - 1], pieces[-1]]
        chunks.extend(kept)
        owner.extend([i] * len(kept))
        truncated.append(len(pieces) > MAX_CHUNKS)
    return chunks, owner, truncated


def _max_by_owner(tier: np.ndarray, cats: np.ndarray, owner: list[int], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per text, the chunk with the highest unsafe probability, and the per-category maximum."""
    if len(owner) == n:
        return tier, cats
    out_tier = np.zeros((n, tier.shape[1]))
    out_cats = np.zeros((n, cats.shape[1]))
    best = np.full(n, -1.0)
    for row, i in enumerate(owner):
        if tier[row, 2] > best[i]:
            best[i] = tier[row, 2]
            out_tier[i] = tier[row]
        out_cats[i] = np.maximum(out_cats[i], cats[row])
    return out_tier, out_cats
