"""Train a Guard: corpus -> embeddings -> multi-task heads -> calibration on dev -> model directory."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from slmguard._validation import check_category
from slmguard.artifacts import ModelParts
from slmguard.data.corpus import Corpus, build_corpus
from slmguard.data.example import Example
from slmguard.data.manifest import Manifest
from slmguard.data.mapping import mapping_version
from slmguard.embedding_cache import EmbeddingCache, cached, flush
from slmguard.encoders import ConcatEncoder, encode_readable, get_encoder, readable
from slmguard.errors import InvalidInputError
from slmguard.eval.metrics import binary_metrics, expected_calibration_error
from slmguard.guard import CHUNK_CHARS, Guard
from slmguard.heads import TIERS, MultiTaskHeads, TemperatureScaler, tune_threshold
from slmguard.normalize import detect_lang, normalize
from slmguard.taxonomy import Taxonomy, load_taxonomy

PROJECT_WEIGHT = 3.0
"""Sample weight of the project's own rows: few, but they carry the contrasts the public sets lack."""
PROJECT_SOURCES = (
    "harmful_requests",
    "harmful_ko_more",
    "requests_en",
    "statements",
    "benign_posts",
    "contrast_en",
    "contrast_ko",
    "obfuscated",
)


@dataclass
class TrainConfig:
    """What `slmguard train` builds; the defaults reproduce the shipped model."""

    encoder: str = "e5-small+minilm"
    taxonomy: Path | None = None
    name: str = "slmguard-default"
    version: str = "0.1.0"
    extra: Sequence[Example] = ()
    heads: dict[str, float | int] = field(default_factory=dict)
    seed: int = 0
    tune_threshold: bool = True
    max_fpr: float = 0.05


@dataclass
class TrainResult:
    guard: Guard
    corpus: Corpus
    dev_metrics: dict[str, float]
    seconds: float


def targets(examples: Sequence[Example], codes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Tier indices and the category matrix (1/0, NaN where a code is unknown for the row)."""
    col = {c: j for j, c in enumerate(codes)}
    tiers = np.array([TIERS.index(e.label) for e in examples], np.int64)
    cats = np.zeros((len(examples), len(codes)), np.float32)
    for i, e in enumerate(examples):
        known = [c for c in (e.categories or ()) if c in col]
        if e.label == "unsafe" and not known:
            cats[i] = np.nan  # unsafe for an unstated reason: only the tier head learns from it
            if "sensitive" in col:
                cats[i, col["sensitive"]] = 0.0
        for c in known:
            cats[i, col[c]] = 1.0
    return tiers, cats


def embed(
    examples: Sequence[Example],
    cache: EmbeddingCache | ConcatEncoder,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Embeddings of the normalised texts, through the cache (part by part for a concatenation).

    Like the Guard, which scores long texts chunk by chunk, training sees at most one chunk.
    """
    texts = [normalize(e.text[:CHUNK_CHARS]) for e in examples]
    parts = cache.parts if isinstance(cache, ConcatEncoder) else (cache,)
    langs = [detect_lang(t) for t in texts]
    total = sum(len(readable(p, langs)) for p in parts)  # as at inference, a part never sees what it cannot read
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    vectors = [encode_readable(p, texts, langs, progress=step) for p in parts]
    return np.hstack(vectors).astype(np.float32)


def train(
    config: TrainConfig,
    *,
    manifest: Manifest | None = None,
    project_dir: Path | None = None,
    log: Callable[[str], None] = print,
    progress: Callable[[str, int, int], None] | None = None,
) -> TrainResult:
    """Build the corpus, fit the heads, calibrate them on dev and return the Guard."""
    start = time.perf_counter()
    taxonomy: Taxonomy = load_taxonomy(config.taxonomy)
    codes = taxonomy.codes
    for ex in config.extra:
        _check_example(ex, taxonomy)
    corpus = build_corpus(manifest, project_dir=project_dir, extra=config.extra, seed=config.seed, progress=log)
    if not corpus.dev or not corpus.train:
        raise InvalidInputError(
            f"Training needs train and dev rows; got {len(corpus.train)} train and {len(corpus.dev)} dev. "
            "Check SLMGUARD_DATASETS or add labelled rows with --extra."
        )
    log(f"corpus: {len(corpus.train)} train, {len(corpus.dev)} dev, {corpus.dropped_as_test} test rows kept out")
    encoder = get_encoder(config.encoder)
    cache = cached(encoder)
    X_train = embed(corpus.train, cache, progress=_stage(progress, "encode train"))
    X_dev = embed(corpus.dev, cache, progress=_stage(progress, "encode dev"))
    flush(cache)
    y_train, C_train = targets(corpus.train, codes)
    y_dev, C_dev = targets(corpus.dev, codes)
    weights = np.array([PROJECT_WEIGHT if e.source in PROJECT_SOURCES else 1.0 for e in corpus.train], np.float32)
    blocks = encoder.blocks() if isinstance(encoder, ConcatEncoder) else []
    heads = MultiTaskHeads(seed=config.seed, drop_blocks=blocks, block_dropout=0.3 if blocks else 0.0, **config.heads)  # type: ignore[arg-type]
    epochs = heads.epochs
    heads.fit(
        X_train,
        y_train,
        C_train,
        sample_weight=weights,
        progress=lambda e, loss: progress("fit heads", e, epochs) if progress else None,
    )
    tier_logits, cat_logits = heads.predict_logits(X_dev)
    tier_cal = TemperatureScaler(kind="softmax").fit(tier_logits, y_dev)
    cat_cal = TemperatureScaler(kind="sigmoid").fit(cat_logits, C_dev)
    p_dev = tier_cal.transform(tier_logits)
    if config.tune_threshold:
        taxonomy = taxonomy.with_policy(
            unsafe_threshold=tune_threshold(y_dev == 2, p_dev[:, 2], max_fpr=config.max_fpr)
        )
        log(f"unsafe_threshold tuned on dev: {taxonomy.unsafe_threshold:.2f} (best F1 at dev FPR <= {config.max_fpr})")
    dev_metrics = _dev_metrics(corpus.dev, y_dev, p_dev, taxonomy)
    log("dev: " + ", ".join(f"{k}={v:.3f}" for k, v in dev_metrics.items()))
    parts = ModelParts(
        name=config.name,
        version=config.version,
        encoder=encoder.name,
        heads=heads,
        tier_calibration=tier_cal,
        category_calibration=cat_cal,
        taxonomy=taxonomy,
        category_codes=codes,
        info={
            "mapping_version": mapping_version(),
            "encoder_version": getattr(encoder, "version", ""),
            "train_rows": len(corpus.train),
            "dev_rows": len(corpus.dev),
            "rows_by_source": corpus.counts,
            "dev_metrics": dev_metrics,
            "unsafe_threshold": {"value": taxonomy.unsafe_threshold, "rule": f"best dev F1 at FPR <= {config.max_fpr}"}
            if config.tune_threshold
            else None,
            "seed": config.seed,
        },
    )
    encoder.load()
    return TrainResult(Guard(parts, encoder), corpus, dev_metrics, time.perf_counter() - start)


def _stage(progress: Callable[[str, int, int], None] | None, name: str) -> Callable[[int, int], None] | None:
    return (lambda done, total: progress(name, done, total)) if progress else None


def _dev_metrics(dev: Sequence[Example], y: np.ndarray, p: np.ndarray, taxonomy: Taxonomy) -> dict[str, float]:
    """Binary unsafe-vs-rest metrics on dev at the policy threshold, per language, plus ECE."""
    out: dict[str, float] = {}
    is_unsafe = (y == 2).astype(int)
    pred = (p[:, 2] >= taxonomy.unsafe_threshold).astype(int)
    for lang in ("all", *sorted(Counter(e.lang for e in dev))):
        m = np.array([lang == "all" or e.lang == lang for e in dev])
        if m.sum() == 0:
            continue
        for k, v in binary_metrics(is_unsafe[m], pred[m]).items():
            out[f"{lang}_{k}"] = v
    out["ece_unsafe"] = expected_calibration_error(is_unsafe, p[:, 2])
    return out


def _check_example(ex: Example, taxonomy: Taxonomy) -> None:
    if ex.label not in TIERS:
        raise InvalidInputError(f"{ex.source} row {ex.id!r}: label {ex.label!r} is not one of {', '.join(TIERS)}.")
    for code in ex.categories or ():
        check_category(code, taxonomy)


def examples_from_rows(rows: Iterable[dict[str, object]], *, source: str) -> list[Example]:
    """User-labelled rows (`text`, `label`, optional `categories`, `lang`) as Examples."""
    out = []
    for r in rows:
        cats = r.get("categories")
        out.append(
            Example(
                text=str(r["text"]),
                label=str(r["label"]),
                categories=tuple(cats) if isinstance(cats, list) else None,  # type: ignore[arg-type]
                lang=str(r.get("lang") or "en"),
                source=source,
                id=str(r.get("id") or ""),
            )
        )
    return out
