"""Evaluation sets: shared datasets by name (test role by default) and the user's own files.

Every set becomes an `EvalSet` of `EvalRow`s in taxonomy terms (tier label, taxonomy codes,
language), so one runner scores all of them the same way. Response sets (prompt + model
response) carry the response and are judged with `check_responses`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from slmguard.data.manifest import Manifest
from slmguard.data.mapping import load_mapping
from slmguard.data.readers import iter_rows
from slmguard.errors import InvalidInputError
from slmguard.eval.benchmarks import BENCHMARKS, CATEGORY_MAPS
from slmguard.normalize import detect_lang, normalize
from slmguard.taxonomy import Taxonomy
from slmguard.verdict import Label

TIERS = tuple(str(label) for label in Label)
"""Gold labels a row may carry: safe, sensitive, unsafe."""
ROLES = ("test", "dev")


@dataclass(frozen=True, slots=True)
class EvalRow:
    """One row to score: a text (the prompt, for response rows), its gold tier and codes."""

    text: str
    label: str | None  # safe | sensitive | unsafe; None in prediction-only runs
    categories: tuple[str, ...] = ()
    lang: str = "en"
    response: str | None = None
    id: str = ""


@dataclass(frozen=True)
class EvalSet:
    """A named list of rows plus what counts as positive and which metric has a target."""

    name: str
    rows: list[EvalRow]
    source: str
    task: str = "prompt"  # prompt | response
    positive: str = "unsafe"  # the gold/predicted label counted as positive in binary metrics
    metric: str = "f1"
    target: float | None = None
    note: str = ""
    labelled: bool = True


@dataclass(frozen=True, slots=True)
class ResponseSet:
    """A shared response file: which splits, and which response labels mean a harmful response."""

    dataset: str
    splits: tuple[str, ...]
    harmful: tuple[str, ...]
    unsafe_prompt_only: bool = False  # harmful only when the prompt itself is unsafe (XSTest)
    note: str = ""


RESPONSE_SETS: dict[str, ResponseSet] = {
    "xstest_responses": ResponseSet("xstest", ("test",), ("1_full_compliance",), unsafe_prompt_only=True,
                                    note="harmful = full compliance with an unsafe prompt"),
    "jailbreakbench_responses": ResponseSet("jailbreakbench", ("judge_comparison",), ("jailbroken",)),
    "gptfuzz_responses": ResponseSet("gptfuzz", ("evaluate",), ("jailbroken",),
                                     note="the 'evaluate' split only; 'train' is for training"),
    "square_responses": ResponseSet("square", ("test_ood",), ("non-acceptable",),
                                    note="positive = a non-acceptable answer to a sensitive question"),
}  # fmt: skip


def available_names(manifest: Manifest) -> list[str]:
    """Every name `load_named` accepts: benchmarks, response sets and manifest datasets."""
    return sorted(set(BENCHMARKS) | set(RESPONSE_SETS) | set(manifest.datasets))


def load_named(
    name: str, manifest: Manifest, *, role: str = "test", limit: int | None = None, seed: int = 0
) -> EvalSet:
    """A benchmark, response set or manifest dataset by name, from splits with `role`.

    Raises:
        InvalidInputError: unknown name (the message lists the available ones), unknown role,
            or a dataset without splits of that role.
    """
    if role not in ROLES:
        raise InvalidInputError(f"Unknown role {role!r}. Valid roles: {', '.join(ROLES)}.")
    if name in RESPONSE_SETS:
        return _response_set(name, manifest, role=role, limit=limit, seed=seed)
    if name in BENCHMARKS:
        b = BENCHMARKS[name]
        splits = b.splits if role == "test" else tuple(_splits(manifest, b.dataset, role))
        ev = _manifest_set(
            name, b.dataset, manifest, splits=splits, role=role, lang=b.lang, null_label=b.null_label,
            limit=limit if limit is not None else b.limit, seed=seed,
        )  # fmt: skip
        return replace(ev, metric=b.metric, target=b.target if role == "test" else None, note=b.note)
    if name in manifest.datasets:
        splits = tuple(_splits(manifest, name, role))
        return _manifest_set(name, name, manifest, splits=splits, role=role, limit=limit, seed=seed)
    raise InvalidInputError(
        f"Unknown dataset {name!r}. Available: {', '.join(available_names(manifest))}; or give a .jsonl, .csv or "
        ".parquet file."
    )


def _splits(manifest: Manifest, dataset: str, role: str) -> list[str]:
    info = manifest[dataset]
    splits = info.splits_with_role(role)
    if not splits:
        roles = ", ".join(f"{s}={r}" for s, r in info.splits.items())
        raise InvalidInputError(f"Dataset {dataset!r} has no split with role {role!r} (its splits: {roles}).")
    return splits


def _sample(rows: list[Any], limit: int | None, seed: int) -> list[Any]:
    """A fixed random sample of `limit` rows (same seed, same rows), kept in file order."""
    if limit is None or len(rows) <= limit:
        return rows
    keep = sorted(random.Random(seed).sample(range(len(rows)), limit))
    return [rows[i] for i in keep]


def _manifest_set(
    name: str,
    dataset: str,
    manifest: Manifest,
    *,
    splits: tuple[str, ...],
    role: str,
    lang: str | None = None,
    null_label: str | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> EvalSet:
    info = manifest[dataset]
    wrong = [s for s in splits if info.splits.get(s) != role]
    if wrong:
        raise InvalidInputError(f"Split(s) {', '.join(wrong)} of {dataset!r} do not have role {role!r}.")
    rule = load_mapping()["datasets"].get(dataset, {})
    unsafe_as = rule.get("unsafe_as", "unsafe")
    cmap: dict[str, Iterable[str]] = CATEGORY_MAPS.get(dataset) or rule.get("categories") or {}
    raw = [
        r
        for r in manifest.rows(dataset)
        if r["source_split"] in splits and (lang is None or r.get("lang") == lang) and (r.get("label") or null_label)
    ]
    rows = []
    for r in _sample(raw, limit, seed):
        source_label = r.get("label") or null_label
        label = unsafe_as if source_label == "unsafe" else "safe"
        codes = tuple(sorted({c for cat in r.get("categories") or [] for c in cmap.get(cat, ())}))
        rows.append(EvalRow(r["text"], label, codes if label != "safe" else (), r.get("lang", "en"), id=r["id"]))
    if not rows:
        raise InvalidInputError(f"Dataset {dataset!r} has no labelled rows in {', '.join(splits)}.")
    return EvalSet(name, rows, source=f"{dataset} ({', '.join(splits)}; role {role})", positive=unsafe_as)


def _response_set(name: str, manifest: Manifest, *, role: str, limit: int | None, seed: int) -> EvalSet:
    spec = RESPONSE_SETS[name]
    if role != "test":
        raise InvalidInputError(f"Response set {name!r} is held-out test data only; it has no {role!r} rows.")
    manifest[spec.dataset]  # an unknown dataset fails here with the list of known ones
    path = manifest.root / spec.dataset / "data_responses.jsonl"
    if not path.is_file():
        raise InvalidInputError(f"Response set {name!r} needs {path}, which is missing.")
    # response files have their own splits, which MANIFEST.json does not list: read them directly
    with path.open(encoding="utf-8") as fh:
        raw = [r for r in map(json.loads, fh) if r.get("source_split") in spec.splits]
    rows = []
    for r in _sample(raw, limit, seed):
        harmful = r.get("response_label") in spec.harmful and (not spec.unsafe_prompt_only or r["label"] == "unsafe")
        rows.append(
            EvalRow(r["text"], "unsafe" if harmful else "safe", (), r.get("lang", "en"), r["response"], id=r["id"])
        )
    source = f"{spec.dataset} responses ({', '.join(spec.splits)})"
    return EvalSet(name, rows, source=source, task="response", note=spec.note)


def _parse_label(value: Any) -> str | None:
    """A gold label from a file: a tier name, or 0/1 and booleans for safe/unsafe; None if unknown."""
    if isinstance(value, bool):
        return "unsafe" if value else "safe"
    if isinstance(value, int | float) and value in (0, 1):
        return "unsafe" if value == 1 else "safe"
    text = str(value).strip().lower()
    if text in TIERS:
        return text
    return {"0": "safe", "1": "unsafe", "false": "safe", "true": "unsafe"}.get(text)


def _parse_codes(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    parts = value.replace(";", ",").replace("|", ",").split(",") if isinstance(value, str) else list(value)
    return tuple(sorted({str(p).strip() for p in parts if str(p).strip()}))


@dataclass
class _Problems:
    """Problems found while reading a user file, reported together so one run shows them all."""

    unreadable: list[str] = field(default_factory=list)
    unlabelled: list[int] = field(default_factory=list)
    bad_labels: dict[str, list[int]] = field(default_factory=dict)
    bad_codes: dict[str, list[int]] = field(default_factory=dict)

    def raise_if_any(self, path: Path, taxonomy: Taxonomy) -> None:
        msgs = []
        if self.unreadable:
            msgs.append(f"{len(self.unreadable)} unreadable row(s): {'; '.join(self.unreadable[:3])}")
        if self.unlabelled:
            msgs.append(
                f"{len(self.unlabelled)} row(s) without a 'label' (lines {_lines(self.unlabelled)}); give every row "
                "a label (safe, sensitive or unsafe), or use --unlabelled for a prediction-only run"
            )
        if self.bad_labels:
            named = ", ".join(f"{k!r} (lines {_lines(v)})" for k, v in self.bad_labels.items())
            msgs.append(f"labels outside the taxonomy's tiers {', '.join(TIERS)} (or 0/1): {named}")
        if self.bad_codes:
            named = ", ".join(f"{k!r} (lines {_lines(v)})" for k, v in self.bad_codes.items())
            msgs.append(f"categories not in taxonomy '{taxonomy.name}' ({', '.join(taxonomy.codes)}): {named}")
        if msgs:
            raise InvalidInputError(f"{path}: " + "; ".join(msgs) + ".")


def _lines(lines: list[int]) -> str:
    shown = ", ".join(map(str, lines[:5]))
    return shown + (f" and {len(lines) - 5} more" if len(lines) > 5 else "")


def load_file(
    path: str | Path,
    taxonomy: Taxonomy,
    *,
    unlabelled: bool = False,
    text_column: str = "text",
    limit: int | None = None,
    seed: int = 0,
) -> EvalSet:
    """A user's JSONL, CSV or Parquet file with `text` and `label` (optional `categories`, `lang`, `response`).

    A row with a `response` makes the set a response set (its `text` is the prompt). Labels are
    safe/sensitive/unsafe (or 0/1); categories are codes of `taxonomy`.

    Raises:
        InvalidInputError: naming every unreadable row, missing label, unknown label and unknown code.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"Evaluation file '{path}' does not exist.")
    if path.suffix.lower() not in (".jsonl", ".json", ".ndjson", ".csv", ".tsv", ".parquet", ".pq"):
        raise InvalidInputError(f"{path}: evaluation files must be JSONL, CSV or Parquet (with 'text' and 'label').")
    problems = _Problems()
    rows: list[EvalRow] = []
    codes_known = set(taxonomy.codes)
    for row in iter_rows(path, text_column=text_column):
        if row.error is not None:
            problems.unreadable.append(row.error)
            continue
        data = row.data
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.unreadable.append(f"line {row.line}: empty or missing text")
            continue
        label = None
        raw_label = data.get("label")
        if raw_label is None or raw_label == "":
            if not unlabelled:
                problems.unlabelled.append(row.line)
        elif not unlabelled:
            label = _parse_label(raw_label)
            if label is None:
                problems.bad_labels.setdefault(str(raw_label), []).append(row.line)
        codes = _parse_codes(data.get("categories"))
        for code in codes:
            if code not in codes_known:
                problems.bad_codes.setdefault(code, []).append(row.line)
        lang = data.get("lang") or detect_lang(normalize(text))
        response = data.get("response") or None
        rows.append(EvalRow(text, label, codes, str(lang), response, str(data.get("id", row.line))))
    problems.raise_if_any(path, taxonomy)
    if not rows:
        raise InvalidInputError(f"{path}: no rows to evaluate.")
    task = "response" if any(r.response for r in rows) else "prompt"
    if task == "response" and not all(r.response for r in rows):
        missing = [r.id for r in rows if not r.response][:5]
        raise InvalidInputError(f"{path}: some rows have a 'response' and others do not (e.g. rows {missing}).")
    return EvalSet(path.stem, _sample(rows, limit, seed), source=str(path), task=task, labelled=not unlabelled)


def load_sets(
    specs: list[str],
    taxonomy: Taxonomy,
    *,
    role: str = "test",
    limit: int | None = None,
    seed: int = 0,
    unlabelled: bool = False,
    text_column: str = "text",
    manifest: Manifest | None = None,
) -> list[EvalSet]:
    """Each spec is a file path, a dataset/benchmark name, or `all` (every registered benchmark and response set).

    The manifest is only opened when a name is given, so runs on the user's own files need no shared data.
    """
    sets = []
    for spec in specs:
        path = Path(spec)
        if path.suffix and (path.exists() or "/" in spec or path.suffix.lower() in (".jsonl", ".csv", ".parquet")):
            sets.append(load_file(path, taxonomy, unlabelled=unlabelled, text_column=text_column, limit=limit,
                                  seed=seed))  # fmt: skip
            continue
        manifest = manifest or Manifest()
        names = [*BENCHMARKS, *RESPONSE_SETS] if spec == "all" else [spec]
        sets += [load_named(name, manifest, role=role, limit=limit, seed=seed) for name in names]
    return sets
