"""Train a Guard: corpus -> embeddings -> multi-task heads -> calibration on dev -> model directory."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from slmguard._validation import check_category
from slmguard.artifacts import ModelParts
from slmguard.data.corpus import PROJECT_DATA, Corpus, build_corpus
from slmguard.data.example import Example
from slmguard.data.leakage import held_out_keys
from slmguard.data.manifest import Manifest
from slmguard.data.mapping import mapping_version
from slmguard.data.responses import ResponsePair, build_response_pairs
from slmguard.embedding_cache import EmbeddingCache, cached, flush
from slmguard.encoders import ConcatEncoder, Encoder, encode_readable, get_encoder, readable, staged_part
from slmguard.encoders.layer_weights import layers_metadata
from slmguard.errors import InvalidInputError
from slmguard.eval.metrics import binary_metrics, expected_calibration_error
from slmguard.guard import CHUNK_CHARS, Guard
from slmguard.heads import TIERS, MultiTaskHeads, TemperatureScaler, tune_threshold
from slmguard.heads.cascade import choose_margin, choose_margins, decision_margin
from slmguard.heads.early_exit import EarlyExit
from slmguard.heads.lexical import LexicalScorer, fit_out_of_fold
from slmguard.heads.multitask import IGNORE, warm_start_params
from slmguard.normalize import detect_lang, normalize
from slmguard.replies import STRATEGY_CLASSES, strategy_for
from slmguard.replies.judge import JUDGE_CLASSES, pair_text
from slmguard.taxonomy import Taxonomy, load_taxonomy

EXTEND_HEADS = {"epochs": 8, "lr": 1e-2}
"""Optimisation of `TrainConfig.extend`: only the new categories' columns learn, from zero."""
PROJECT_WEIGHT = 3.0
"""Sample weight of the project's own rows: few, but they carry the contrasts the public sets lack."""
PROJECT_SOURCES = tuple(PROJECT_DATA)
"""Sources that get PROJECT_WEIGHT."""


@dataclass
class TrainConfig:
    """What `slmguard train` builds; the defaults reproduce the shipped model."""

    encoder: str = "e5-small-ft+minilm"
    taxonomy: Path | None = None
    name: str = "slmguard-default"
    version: str = "0.12.0"
    extra: Sequence[Example] = ()
    heads: dict[str, float | int] = field(default_factory=dict)
    seed: int = 0
    """Seed of the data sampling (capped sources, judge pairs)."""
    head_seed: int = 1
    """Seed of the heads' initialisation and batch order (of the first member when `ensemble` > 1)."""
    ensemble: int = 3
    """Heads trained with seeds head_seed, head_seed + 1, …, whose logits are averaged
    (`MultiTaskHeads.average`); the early-exit heads too. One seed's training noise moved dev F1 by
    about a point and single test figures by several; the average of three moves less
    (BENCHMARKS.md, "Head settings")."""
    lexical: bool = True
    """Append the logits of a character n-gram model (`heads.lexical`) to the sentence vectors."""
    tune_threshold: bool = True
    max_fpr: float = 0.05
    response_judge: bool = True
    """Train the response-judge head too (needs GPTFuzz responses in the shared datasets)."""
    early_exit_layers: tuple[int, ...] = (6,)
    """Also train heads on the multilingual encoder's first layers, early exits for the texts they
    are sure of (`heads.early_exit`), fewest layers first; (): every text runs every layer. A chain
    (3, 6) settled more dev rows at the same tier-label budget but moved category F1 (BENCHMARKS.md,
    "A chain of early exits"), so the shipped model keeps one exit."""
    extend: ModelParts | None = None
    """A model to extend with the categories of `taxonomy` it lacks (a new policy category): only
    those are learnt, on its frozen trunk; its tier head, known categories, calibration and
    unsafe threshold are kept, so none of its other outputs changes (from its full model: the
    extension has no early exit, whose heads know no new category). The new categories then put a
    text in their tier on their own (`standalone_categories`), since the tier head never saw them."""


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


def strategy_targets(examples: Sequence[Example]) -> np.ndarray:
    """Strategy-head class per example (IGNORE for an unsafe row whose categories are unknown)."""
    out = np.full(len(examples), IGNORE, np.int64)
    for i, e in enumerate(examples):
        if e.label != "unsafe" or e.categories:
            out[i] = STRATEGY_CLASSES.index(strategy_for(e.label, e.categories or ()))
    return out


def pair_examples(pairs: Sequence[ResponsePair]) -> list[Example]:
    """Judge pairs as Examples whose text is the judge's input (`pair_text`), for `embed`."""
    return [Example(pair_text(p.prompt, p.response), "safe", None, p.lang, p.source) for p in pairs]


def model_texts(examples: Sequence[Example]) -> list[str]:
    """What the model reads of each example: its normalised first chunk (as the Guard scores chunks)."""
    return [normalize(e.text[:CHUNK_CHARS]) for e in examples]


def embed(
    examples: Sequence[Example],
    cache: EmbeddingCache | ConcatEncoder,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Embeddings of the normalised texts, through the cache (part by part for a concatenation).

    Like the Guard, which scores long texts chunk by chunk, training sees at most one chunk.
    """
    texts = model_texts(examples)
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
    manifest = manifest or Manifest()
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
    if config.extend is not None:
        _check_extendable(config.extend, encoder, codes)
    cache = cached(encoder)
    X_train = embed(corpus.train, cache, progress=_stage(progress, "encode train"))
    X_dev = embed(corpus.dev, cache, progress=_stage(progress, "encode dev"))
    pairs_train: list[ResponsePair] = []
    pairs_dev: list[ResponsePair] = []
    if config.response_judge and config.extend is None:  # an extension keeps the judge head as it is
        pairs_train, pairs_dev = build_response_pairs(
            manifest, corpus.train, banned=held_out_keys(manifest), seed=config.seed
        )
        log(f"response judge: {len(pairs_train)} train pairs, {len(pairs_dev)} dev pairs")
    X_pairs = embed(pair_examples(pairs_train), cache, progress=_stage(progress, "encode judge train"))
    X_pairs_dev = embed(pair_examples(pairs_dev), cache, progress=_stage(progress, "encode judge dev"))
    lexical = config.extend.lexical if config.extend is not None else None
    if config.lexical and config.extend is None:
        log("n-gram logits: 5 out-of-fold fits for the train rows, then one on all of them")
        train_texts, tiers = model_texts(corpus.train), [TIERS.index(e.label) for e in corpus.train]
        weights = _row_weights(corpus.train)
        lexical = LexicalScorer()
        X_train = np.hstack([X_train, fit_out_of_fold(lexical, train_texts, tiers, weights)])
    elif lexical is not None:
        X_train = np.hstack([X_train, lexical.decision_function(model_texts(corpus.train))])
    if lexical is not None:
        X_dev, X_pairs, X_pairs_dev = (
            np.hstack([X, lexical.decision_function(model_texts(examples))])
            for X, examples in (
                (X_dev, corpus.dev), (X_pairs, pair_examples(pairs_train)), (X_pairs_dev, pair_examples(pairs_dev))
            )
        )  # fmt: skip
    flush(cache)
    y_train, C_train = targets(corpus.train, codes)
    y_dev, C_dev = targets(corpus.dev, codes)
    n_pairs = len(pairs_train)
    weights = _row_weights(corpus.train)
    blocks = encoder.blocks() if isinstance(encoder, ConcatEncoder) else []
    head_config: dict[str, object] = {
        "seed": config.head_seed,
        "drop_blocks": blocks,
        "block_dropout": 0.3 if blocks else 0.0,
        "strategies": STRATEGY_CLASSES,
        "judge_classes": JUDGE_CLASSES if pairs_train else (),
    }
    init = None
    new: list[str] = []
    if config.extend is not None:
        base = config.extend
        init = warm_start_params(base.heads, base.category_codes, codes)
        new = [c for c, is_new in zip(codes, init["new_categories"], strict=True) if is_new]
        h = base.heads
        head_config.update(hidden=h.hidden, strategies=h.strategies, judge_classes=h.judge_classes, **EXTEND_HEADS)
        log(f"extending {base.name}-{base.version} with {', '.join(new)}; its other outputs stay as they are")
    members = 1 if config.extend is not None else config.ensemble
    seeds = [config.head_seed + i for i in range(members)]
    heads = _fit_seeds(
        {**head_config, **config.heads}, seeds, "fit heads", progress,
        np.vstack([X_train, X_pairs.reshape(n_pairs, X_train.shape[1])]),
        np.concatenate([y_train, np.full(n_pairs, IGNORE)]),
        np.vstack([C_train, np.full((n_pairs, len(codes)), np.nan, np.float32)]),
        strategy=np.concatenate([strategy_targets(corpus.train), np.full(n_pairs, IGNORE)]),
        judge=np.concatenate([np.full(len(corpus.train), IGNORE), [p.target for p in pairs_train]]).astype(np.int64),
        sample_weight=np.concatenate([weights, np.ones(n_pairs, np.float32)]),
        init=init,
    )  # fmt: skip
    judge_cal = None
    if pairs_dev:
        y_judge_dev = np.array([p.target for p in pairs_dev])
        judge_cal = TemperatureScaler(kind="softmax").fit(heads.predict_head_logits(X_pairs_dev, "judge"), y_judge_dev)
    tier_logits, cat_logits = heads.predict_logits(X_dev)
    tune = config.tune_threshold
    if config.extend is not None:  # its calibration and tuned threshold: its other outputs must not move
        tier_cal, cat_cal = config.extend.tier_calibration, config.extend.category_calibration
        judge_cal = config.extend.judge_calibration
        taxonomy = taxonomy.with_policy(unsafe_threshold=config.extend.taxonomy.unsafe_threshold)
        tune = False
    else:
        tier_cal = TemperatureScaler(kind="softmax").fit(tier_logits, y_dev)
        cat_cal = TemperatureScaler(kind="sigmoid").fit(cat_logits, C_dev)
    p_dev = tier_cal.transform(tier_logits)
    if tune:
        taxonomy = taxonomy.with_policy(
            unsafe_threshold=tune_threshold(y_dev == 2, p_dev[:, 2], max_fpr=config.max_fpr)
        )
        log(f"unsafe_threshold tuned on dev: {taxonomy.unsafe_threshold:.2f} (best F1 at dev FPR <= {config.max_fpr})")
    dev_metrics = _dev_metrics(corpus.dev, y_dev, p_dev, taxonomy)
    margin = None
    if config.extend is not None:  # the base's margin, as for its calibration
        margin = config.extend.info.get("cascade_margin")
    elif len(blocks) == 1:
        margin, dev_metrics["second_pass_share"] = _cascade_margin(heads, tier_cal, X_dev, p_dev, blocks[0], taxonomy)
        log(f"two-pass margin chosen on dev: {margin} (second encoder for {dev_metrics['second_pass_share']:.1%})")
    early_exits: tuple[EarlyExit, ...] = ()
    if config.early_exit_layers and config.extend is None:  # the base's exits know no new category
        lexical_columns = slice(encoder.dim, None)
        fitted_exits = _fit_early_exits(
            sorted(set(config.early_exit_layers)), encoder, corpus,
            (X_train[:, lexical_columns], X_dev[:, lexical_columns]), p_dev, taxonomy, seeds=seeds, progress=progress,
        )  # fmt: skip
        if fitted_exits is not None:
            early_exits, exit_metrics = fitted_exits
            dev_metrics.update(exit_metrics)
            stops = ", ".join(
                f"{exit_metrics[f'early_exit_share_{e.layer}']:.1%} after {e.layer} layers (margin {e.margin})"
                for e in early_exits
            )
            log(f"early exits chosen on dev: {stops}; dev F1 with the exits {exit_metrics['early_exit_all_f1']:.3f}")
    y_strategy_dev = strategy_targets(corpus.dev)
    known = (y_strategy_dev != IGNORE) & (y_dev > 0)
    if known.any():
        pred = heads.predict_head_logits(X_dev[known], "strategy").argmax(1)
        dev_metrics["strategy_accuracy"] = float((pred == y_strategy_dev[known]).mean())
    if pairs_dev:
        pred = heads.predict_head_logits(X_pairs_dev, "judge").argmax(1)
        dev_metrics["judge_accuracy"] = float((pred == y_judge_dev).mean())
    log("dev: " + ", ".join(f"{k}={v:.3f}" for k, v in dev_metrics.items()))
    parts = ModelParts(
        name=config.name,
        version=config.version,
        encoder=encoder.name,
        heads=heads,
        lexical=lexical,
        tier_calibration=tier_cal,
        category_calibration=cat_cal,
        taxonomy=taxonomy,
        category_codes=codes,
        judge_calibration=judge_cal,
        early_exits=early_exits,
        info={
            "mapping_version": mapping_version(),
            "encoder_version": getattr(encoder, "version", ""),
            "encoder_layers": _finetuned_layers(encoder),
            "train_rows": len(corpus.train),
            "dev_rows": len(corpus.dev),
            "judge_pairs": {"train": len(pairs_train), "dev": len(pairs_dev)},
            "rows_by_source": corpus.counts,
            "dev_metrics": dev_metrics,
            "unsafe_threshold": {"value": taxonomy.unsafe_threshold, "rule": f"best dev F1 at FPR <= {config.max_fpr}"}
            if tune
            else None,
            "cascade_margin": margin,
            "seed": config.seed,
            "head_seed": config.head_seed,
            "head_seeds": [config.head_seed + i for i in range(members)],
            **_extension_info(config.extend, codes, new),
        },
    )
    encoder.load()
    return TrainResult(Guard(parts, encoder), corpus, dev_metrics, time.perf_counter() - start)


def _finetuned_layers(encoder: Encoder) -> dict[str, dict[str, str]]:
    """The fine-tuning record of each encoder part that runs fine-tuned layers, by part name."""
    parts = encoder.parts if isinstance(encoder, ConcatEncoder) else (encoder,)
    return {p.name: layers_metadata(p.layers) for p in parts if getattr(p, "layers", None) is not None}


def _row_weights(examples: Sequence[Example]) -> np.ndarray:
    """The project's own rows count PROJECT_WEIGHT times a public row."""
    return np.array([PROJECT_WEIGHT if e.source in PROJECT_SOURCES else 1.0 for e in examples], np.float32)


def _report_epoch(progress: Callable[[str, int, int], None], stage: str, epochs: int, epoch: int, loss: float) -> None:
    progress(stage, epoch, epochs)


def _extension_info(base: ModelParts | None, codes: Sequence[str], new: Sequence[str]) -> dict[str, object]:
    """What an extended model records: its base, and the categories that put a text in their tier alone."""
    if base is None:
        return {}
    standalone = [c for c in base.info.get("standalone_categories", []) if c in codes]
    return {"extended_from": f"{base.name}-{base.version}", "standalone_categories": [*standalone, *new]}


def _cascade_margin(
    heads: MultiTaskHeads,
    tier_cal: TemperatureScaler,
    X_dev: np.ndarray,
    p_dev: np.ndarray,
    block: tuple[int, int],
    taxonomy: Taxonomy,
) -> tuple[float | None, float]:
    """The two-pass margin (`heads.cascade`) for the dev rows the dropped block reads, and the share it re-encodes."""
    reads = np.abs(X_dev[:, block[0] : block[1]]).sum(1) > 0
    first = X_dev[reads].copy()
    first[:, block[0] : block[1]] = 0.0
    p_first = tier_cal.transform(heads.predict_logits(first)[0])
    margin = choose_margin(p_dev[reads], p_first, taxonomy)
    again = 1.0 if margin is None else float(np.mean(decision_margin(p_first, taxonomy) < margin))
    return margin, again


def _fit_seeds(
    config: dict[str, object],
    seeds: Sequence[int],
    stage: str,
    progress: Callable[[str, int, int], None] | None,
    *fit_args: np.ndarray,
    **fit_kwargs: object,
) -> MultiTaskHeads:
    """One `MultiTaskHeads(**config)` fitted per seed on the same rows; their average
    (`MultiTaskHeads.average`), or the single member."""
    members = []
    for i, seed in enumerate(seeds):
        member = MultiTaskHeads(**{**config, "seed": seed})  # type: ignore[arg-type]
        name = stage if len(seeds) == 1 else f"{stage} {i + 1}/{len(seeds)}"
        member.fit(
            *fit_args, **fit_kwargs,  # type: ignore[arg-type]
            progress=partial(_report_epoch, progress, name, member.epochs) if progress else None,
        )  # fmt: skip
        members.append(member)
    return members[0] if len(members) == 1 else MultiTaskHeads.average(members)


def _fit_early_exits(
    layers: Sequence[int],
    encoder: Encoder,
    corpus: Corpus,
    lexical: tuple[np.ndarray, np.ndarray],
    p_dev: np.ndarray,
    taxonomy: Taxonomy,
    *,
    seeds: Sequence[int],
    progress: Callable[[str, int, int], None] | None,
) -> tuple[tuple[EarlyExit, ...], dict[str, float]] | None:
    """Heads on the vectors after each of `layers` layers of the encoder that can stop part-way (+
    the n-gram logits), their margins, chosen together against the full model's dev labels `p_dev`
    (`cascade.choose_margins`: the fewest layers a row at the label budget), and dev metrics: the
    share of rows that stop at each exit and in all, and the unsafe F1 and FPR of the labels with
    the exits. None when no part can stop or no margins keep the labels.

    Like the main heads, each exit averages one member per seed (`seeds`): less of one seed's
    training noise, and at the same label budget more dev rows stop (BENCHMARKS.md, 0.8.0).
    """
    found = staged_part(encoder)
    if found is None:
        return None
    y_dev, C_dev = targets(corpus.dev, taxonomy.codes)
    fitted = []
    for layer in layers:
        cache = cached(found[1].first_layers(layer))
        X_train = np.hstack(
            [embed(corpus.train, cache, progress=_stage(progress, f"encode train, {layer} layers")), lexical[0]]
        )
        X_dev = np.hstack(
            [embed(corpus.dev, cache, progress=_stage(progress, f"encode dev, {layer} layers")), lexical[1]]
        )
        flush(cache)
        heads = _fit_seeds(
            {"strategies": STRATEGY_CLASSES}, seeds, f"fit early-exit heads, {layer} layers", progress,
            X_train, *targets(corpus.train, taxonomy.codes), strategy=strategy_targets(corpus.train),
            sample_weight=_row_weights(corpus.train),
        )  # fmt: skip
        tier_logits, cat_logits = heads.predict_logits(X_dev)
        tier_cal = TemperatureScaler(kind="softmax").fit(tier_logits, y_dev)
        cat_cal = TemperatureScaler(kind="sigmoid").fit(cat_logits, C_dev)
        fitted.append((layer, heads, tier_cal, cat_cal, tier_cal.transform(tier_logits)))
    chosen = choose_margins(p_dev, [f[4] for f in fitted], layers, found[1].layer_count, taxonomy)
    if chosen is None:
        return None
    margins, leaves = chosen
    exits = tuple(
        EarlyExit(layer, heads, t, c, m)
        for (layer, heads, t, c, _), m in zip(fitted, margins, strict=True)
        if m is not None  # an exit no text should stop at is left out
    )
    combined = p_dev.copy()
    for k, f in enumerate(fitted):
        combined[leaves == k] = f[4][leaves == k]
    metrics = binary_metrics((y_dev == 2).astype(int), (combined[:, 2] >= taxonomy.unsafe_threshold).astype(int))
    exit_metrics = {
        "early_exit_share": float(np.mean(leaves < len(fitted))),
        **{f"early_exit_share_{e.layer}": float(np.mean(leaves == layers.index(e.layer))) for e in exits},
        "early_exit_all_f1": metrics["f1"],
        "early_exit_all_fpr": metrics["fpr"],
    }
    return exits, exit_metrics


def _check_extendable(start: ModelParts, encoder: Encoder, codes: Sequence[str]) -> None:
    """A model is extended with new categories, on vectors of the encoder (and version) it was trained on."""
    if set(codes) <= set(start.category_codes):
        raise InvalidInputError(
            f"Nothing to extend: the taxonomy's categories are all known to {start.name}-{start.version}. "
            "Add a category to the taxonomy, or train from scratch to learn new labels of known categories."
        )
    trained_on = start.info.get("encoder_version")
    if start.encoder != encoder.name or (trained_on and trained_on != encoder.version):
        raise InvalidInputError(
            f"Cannot extend {start.name}-{start.version}: it reads {start.encoder} "
            f"({trained_on or 'unknown version'}), this training uses {encoder.name} ({encoder.version}). "
            "Train from scratch instead."
        )


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
