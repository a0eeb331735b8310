"""Guard: the public facade. normalize -> encode -> heads -> calibration -> decision -> Verdict."""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from slmguard._validation import check_text, check_texts
from slmguard.artifacts import ModelParts, load_model, save_model
from slmguard.encoders import ConcatEncoder, Encoder, get_encoder, readable, staged_part
from slmguard.errors import InvalidInputError, ModelLoadError
from slmguard.heads import decide
from slmguard.heads.cascade import decision_margin
from slmguard.heads.early_exit import EarlyExit, calibrated_scores
from slmguard.normalize import detect_lang, normalize
from slmguard.replies import STRATEGY_CLASSES, Reply, choose_strategy, realise, reply_lang
from slmguard.replies.judge import ResponseVerdict, judge_responses
from slmguard.replies.rewrite import DEFAULT_TIMEOUT, Rewriter, rewrite_reply
from slmguard.taxonomy import Taxonomy, load_taxonomy
from slmguard.verdict import Action, Verdict

CHUNK_CHARS = 1500
"""Characters per encoder call; longer texts are split into chunks."""
MAX_CHUNKS = 4
"""Chunks scored per text: the first ones and the last one. Beyond that the text is `truncated`."""


SHIPPED_MODELS = Path(__file__).resolve().parents[2] / "models"
"""The models that ship with the repository."""


def default_model_path() -> Path:
    """`$SLMGUARD_MODEL`, else the model shipped with the repository (`models/default`)."""
    env = os.environ.get("SLMGUARD_MODEL")
    if env:
        return Path(env)
    return SHIPPED_MODELS / "default"


def fast_model_path() -> Path:
    """The distilled fast model shipped with the repository (`models/fast`): a 3-layer student of the
    default model's e5 that reads about 2.5 times as many texts a second, a few points less accurately."""
    return SHIPPED_MODELS / "fast"


class Guard:
    """Detects unsafe and sensitive texts under a taxonomy.

    >>> guard = Guard.load()
    >>> guard.check("How do I kill a Python process?").label
    <Label.SAFE: 'safe'>
    """

    def __init__(self, parts: ModelParts, encoder: Encoder, *, cascade: bool = True) -> None:
        """`cascade=False` runs every encoder in full on every text (see `early_exits`, `cascade_margin`)."""
        self.parts = parts
        self.encoder = encoder
        self.cascade = cascade
        self._staged = staged_part(encoder)
        """The encoder part that can stop part-way, found once: the check is a protocol match."""

    @classmethod
    def load(cls, path: str | Path | None = None, *, taxonomy: str | Path | None = None, cascade: bool = True) -> Guard:
        """Load a saved model (the shipped default when `path` is None).

        Args:
            path: a model directory written by `Guard.save` or `slmguard train`.
            taxonomy: a policy file with the same category codes as the model, to change
                thresholds and actions without retraining.
            cascade: settle clear texts after the encoder's first layers (`early_exits`) and run the
                second encoder only for texts near a threshold (`cascade_margin`).

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
        return cls(parts, encoder, cascade=cascade)

    def save(self, path: str | Path, *, model_card: str | None = None) -> Path:
        return save_model(self.parts, path, model_card=model_card)

    @property
    def taxonomy(self) -> Taxonomy:
        return self.parts.taxonomy

    @property
    def cascade_margin(self) -> float | None:
        """Texts whose first-pass scores are at least this far from every threshold skip the second encoder.

        Chosen on dev when the model was trained (`slmguard.heads.cascade`); None (older models, a
        single encoder, or `cascade=False`) means every encoder reads every text.
        """
        margin = self.parts.info.get("cascade_margin")
        if not self.cascade or margin is None or self._deferred_part() is None:
            return None
        return float(margin)

    @property
    def early_exits(self) -> tuple[EarlyExit, ...]:
        """Heads on the multilingual encoder's first layers that settle the texts they are sure of,
        fewest layers first (`slmguard.heads.early_exit`); none for older models or `cascade=False`."""
        if not self.cascade or self._staged is None:
            return ()
        return self.parts.early_exits

    def _deferred_part(self) -> int | None:
        """The encoder part the heads learnt to do without (the one dropped at random in training)."""
        if not isinstance(self.encoder, ConcatEncoder):
            return None
        restricted = [i for i, p in enumerate(self.encoder.parts) if p.languages is not None]
        return restricted[0] if len(restricted) == 1 else None

    @property
    def model_name(self) -> str:
        return f"{self.parts.name}-{self.parts.version}"

    def check(
        self, text: str, *, id: str | None = None, rewriter: Rewriter | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> Verdict:
        """Classify one text; a `block` or `caution` verdict carries the safeguard reply.

        Args:
            rewriter: optional LLM that personalises the template reply (see slmguard.replies.rewrite);
                its output is re-checked and the template is kept if it is unsafe, late or broken.
            timeout: seconds to wait for the rewriter.

        Raises:
            InvalidInputError: `text` is not a string or is empty.
        """
        check_text(text)
        return self.check_batch([text], ids=[id], rewriter=rewriter, timeout=timeout)[0]

    def check_batch(
        self,
        texts: Sequence[str],
        *,
        ids: Sequence[str | None] | None = None,
        rewriter: Rewriter | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[Verdict]:
        """Classify many texts at once (faster per text than repeated `check`)."""
        texts = check_texts(texts)
        if ids is not None and len(ids) != len(texts):
            raise InvalidInputError(f"'ids' has {len(ids)} items but 'texts' has {len(texts)}.")
        verdicts = self._predict(texts, list(ids) if ids is not None else [None] * len(texts))
        if rewriter is None:
            return verdicts
        out = []
        for text, v in zip(texts, verdicts, strict=True):
            if v.reply is not None:
                r = rewrite_reply(self, text, v, rewriter, timeout=timeout)
                v = replace(v, reply=r.text, reply_source=r.source, reply_note=r.note)
            out.append(v)
        return out

    def reply(self, text: str, *, rewriter: Rewriter | None = None, timeout: float = DEFAULT_TIMEOUT) -> Reply | None:
        """The safeguard reply for `text`, or None when the text is allowed (the service answers it)."""
        v = self.check(text, rewriter=rewriter, timeout=timeout)
        if v.reply is None or v.reply_strategy is None or v.reply_lang is None or v.reply_source is None:
            return None
        return Reply(
            text=v.reply,
            strategy=v.reply_strategy,
            lang=v.reply_lang,
            query_lang=v.lang,
            source=v.reply_source,
            note=v.reply_note,
        )

    def check_response(self, prompt: str, response: str) -> ResponseVerdict:
        """Judge an assistant `response` to `prompt`: harmful, refusal or compliance (output moderation).

        Raises:
            InvalidInputError: an empty prompt or response.
            NotFittedError: the model has no response-judge head (retrain it).
        """
        check_text(prompt, name="prompt")
        check_text(response, name="response")
        return judge_responses(self, [prompt], [response])[0]

    def check_responses(self, prompts: Sequence[str], responses: Sequence[str]) -> list[ResponseVerdict]:
        """Judge many (prompt, response) pairs in one encoder pass (faster per pair than `check_response`).

        Raises:
            InvalidInputError: an empty text, or lists of different lengths.
        """
        return judge_responses(self, prompts, responses)

    def features(self, normalized: Sequence[str], *, skip: Collection[int] = ()) -> np.ndarray:
        """What the heads read of normalised texts: the sentence vectors, then the model's n-gram logits if any.

        `skip`: encoder parts (of a concatenation) not to run; their columns are zeros.
        """
        return np.hstack([self._vectors(normalized, skip=skip), self._lexical(normalized)])

    def _vectors(
        self, normalized: Sequence[str], *, skip: Collection[int] = (), staged: np.ndarray | None = None
    ) -> np.ndarray:
        """Sentence vectors; `staged`: the staged part's vectors, already computed (`encode_staged`)."""
        enc = self.encoder
        if not isinstance(enc, ConcatEncoder):
            return staged if staged is not None else enc.encode(normalized)
        if staged is None or self._staged is None:
            return enc.encode(normalized, skip=skip)
        part = self._staged[0]
        X = enc.encode(normalized, skip={*skip, part})
        X[:, enc.columns(part)] = staged
        return X

    def _lexical(self, normalized: Sequence[str]) -> np.ndarray:
        """The n-gram logits (no columns for a model without them)."""
        if self.parts.lexical is None:
            return np.zeros((len(normalized), 0), np.float32)
        return self.parts.lexical.decision_function(normalized)

    def _heads(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Calibrated tier and category probabilities and strategy probabilities of feature rows."""
        p = self.parts
        return calibrated_scores(p.heads, p.tier_calibration, p.category_calibration, X)

    def _near(self, tier: np.ndarray, cats: np.ndarray) -> np.ndarray:
        """How far each row's scores are from the thresholds that set its label (`decision_margin`)."""
        return decision_margin(
            tier, self.taxonomy, cats=cats, codes=self.parts.category_codes,
            standalone=self.parts.info.get("standalone_categories", ()),
        )  # fmt: skip

    def _score(self, normalized: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Scores of normalised texts: each early exit in turn, the full model for the texts they leave."""
        lexical = self._lexical(normalized)
        exits, found = self.early_exits, self._staged
        if not exits or found is None:
            return self._full_scores(normalized, lexical)
        first, finish = found[1].encode_staged(normalized, exits[0].layer)
        scores = exits[0].scores(np.hstack([first, lexical]))
        rest = np.flatnonzero(self._near(scores[0], scores[1]) < exits[0].margin)
        for exit_ in exits[1:]:
            if not rest.size:
                break
            # the texts still undecided go on from the layer they reached
            t, c, s = exit_.scores(np.hstack([finish(rest.tolist(), exit_.layer), lexical[rest]]))
            _assign(scores, rest, (t, c, s))
            rest = rest[self._near(t, c) < exit_.margin]
        if rest.size:
            full = self._full_scores([normalized[i] for i in rest], lexical[rest], staged=finish(rest.tolist()))
            _assign(scores, rest, full)
        return scores

    def _full_scores(
        self, normalized: list[str], lexical: np.ndarray, *, staged: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The full model's scores; with a `cascade_margin`, the deferred encoder reads only texts near a threshold."""
        margin = self.cascade_margin
        if margin is None:
            return self._heads(np.hstack([self._vectors(normalized, staged=staged), lexical]))
        part = self._deferred_part()
        assert part is not None and isinstance(self.encoder, ConcatEncoder)
        X = np.hstack([self._vectors(normalized, skip=(part,), staged=staged), lexical])
        tier, cats, strategy = self._heads(X)
        near = self._near(tier, cats)
        readable_rows = readable(self.encoder.parts[part], [detect_lang(t) for t in normalized])
        again = [i for i in readable_rows if near[i] < margin]
        if again:
            X[again, self.encoder.columns(part)] = self.encoder.parts[part].encode([normalized[i] for i in again])
            t, c, s = self._heads(X[again])
            tier[again], cats[again] = t, c
            if strategy is not None and s is not None:
                strategy[again] = s
        return tier, cats, strategy

    def _predict(self, texts: list[str], ids: list[str | None]) -> list[Verdict]:
        chunks, owner, truncated = _chunk(texts)
        normalized = [normalize(c) for c in chunks]
        tier, cats, strategy = self._score(normalized)
        if strategy is not None:  # the strategy of the chunk that decides the tier
            strategy = _rows_of_best_chunk(tier, strategy, owner, len(texts))
        tier, cats = _max_by_owner(tier, cats, owner, len(texts))
        first_chunk = {i: row for row, i in reversed(list(enumerate(owner)))}  # a text's first chunk
        langs = [detect_lang(normalized[first_chunk[i]]) for i in range(len(texts))]
        codes = self.parts.category_codes
        classes = self.parts.heads.strategies or list(STRATEGY_CLASSES)
        standalone = self.parts.info.get("standalone_categories", ())
        verdicts = []
        for i, text_id in enumerate(ids):
            categories = {code: round(float(p), 6) for code, p in zip(codes, cats[i], strict=True)}
            decision = decide(tier[i], categories, self.taxonomy, standalone=standalone)
            reply: dict[str, str | None] = {}
            if decision.action != Action.ALLOW:
                probs = dict(zip(classes, map(float, strategy[i]), strict=True)) if strategy is not None else None
                name = choose_strategy(decision.label, decision.flagged, probs)
                lang = reply_lang(langs[i])
                reply = {
                    "reply": realise(name, lang=lang, flagged=decision.flagged, query=texts[i]),
                    "reply_strategy": name,
                    "reply_lang": lang,
                    "reply_source": "template",
                }
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
                    **reply,  # type: ignore[arg-type]
                )
            )
        return verdicts

    def full_model(self) -> Guard:
        """The same model with the cascade off: every encoder in full on every text. Its scores are
        one smooth function of the text, which occlusion explanations and comparisons need."""
        return Guard(self.parts, self.encoder, cascade=False)

    def with_taxonomy(self, taxonomy: Taxonomy) -> Guard:
        """A Guard that shares this model but decides with another compatible taxonomy."""
        parts = replace(self.parts, taxonomy=_compatible(taxonomy, self.parts.category_codes))
        return Guard(parts, self.encoder, cascade=self.cascade)


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


def _assign(
    scores: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    rows: np.ndarray,
    new: tuple[np.ndarray, np.ndarray, np.ndarray | None],
) -> None:
    """Write a later stage's (tier, categories, strategy) scores into `rows` of the earlier ones."""
    for into, values in zip(scores, new, strict=True):
        if into is not None and values is not None:
            into[rows] = values


def _rows_of_best_chunk(tier: np.ndarray, values: np.ndarray, owner: list[int], n: int) -> np.ndarray:
    """Per text, the row of `values` from its chunk with the highest unsafe probability."""
    if len(owner) == n:
        return values
    best = np.full(n, -1.0)
    out = np.zeros((n, values.shape[1]))
    for row, i in enumerate(owner):
        if tier[row, 2] > best[i]:
            best[i] = tier[row, 2]
            out[i] = values[row]
    return out


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
