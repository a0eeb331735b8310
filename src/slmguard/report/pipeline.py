"""One report run: read the log, classify what lacks a verdict, aggregate, write HTML and JSON.

Intermediate files live in a work directory next to the report (`report.work/`): the normalised
log and the classifier's verdict parts. Rerunning the same command resumes the classification;
a changed input (other size or modification time) starts it afresh.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from slmguard import Guard, Taxonomy, load_taxonomy
from slmguard.guard import default_model_path
from slmguard.report.aggregate import Params, aggregate_duckdb
from slmguard.report.classify import classify_missing, pending_count
from slmguard.report.html import render_html
from slmguard.report.sources import normalise
from slmguard.report.summary import build_report


@dataclass(frozen=True, slots=True)
class ReportPaths:
    html: Path
    json: Path
    workdir: Path


def work_dir(output: Path) -> Path:
    return output.with_name(output.stem + ".work")


def _fingerprint(source: str) -> dict[str, Any]:
    path = Path(source)
    if path.is_file():
        st = path.stat()
        return {"source": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    return {"source": source}


def _prepare_workdir(workdir: Path, source: str) -> None:
    """Keep earlier verdicts only when they were made for this very input (resume); else start clean."""
    stamp = workdir / "source.json"
    current = _fingerprint(source)
    if stamp.is_file() and json.loads(stamp.read_text()) != current:
        shutil.rmtree(workdir / "verdicts", ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(current))


def run_report(
    source: str,
    output: Path,
    *,
    model: Path | None = None,
    taxonomy: Path | None = None,
    text_column: str | None = None,
    table: str = "decisions",
    engine: str = "duckdb",
    params: Params | None = None,
    synthetic: bool = False,
    progress: Callable[[int, int], Callable[[int], None]] | None = None,
) -> tuple[dict[str, Any], ReportPaths]:
    """Build the report for `source` into `output` (HTML) and `output` with .json.

    Args:
        progress: called with (rows to classify, 0) before classification starts; returns a per-batch
            callback that receives the number of rows just classified.
    """
    workdir = work_dir(output)
    _prepare_workdir(workdir, source)
    log = workdir / "log.parquet"
    verdicts = workdir / "verdicts"
    stats = normalise(source, log, text_column=text_column, table=table).to_dict()
    guard: Guard | None = None
    if engine == "spark":
        from slmguard.report.spark import aggregate_spark

        tax = _taxonomy(model, taxonomy)
        params = _with_thresholds(params, tax)
        raw, classified = aggregate_spark(
            log, params, model=model, taxonomy=taxonomy, verdict_dir=workdir / "spark_verdicts"
        )
        stats["classified"] = classified
    else:
        todo = pending_count(log, verdicts)
        if todo:
            guard = Guard.load(model, taxonomy=taxonomy)
            tick = progress(todo, 0) if progress else None
            stats["classified"] = classify_missing(guard, log, verdicts, progress=tick)
        tax = guard.taxonomy if guard else _taxonomy(model, taxonomy)
        params = _with_thresholds(params, tax)
        raw = aggregate_duckdb(log, verdicts, params, workdir=workdir)
    report = build_report(
        raw,
        source=stats,
        params=params,
        taxonomy=tax,
        engine=engine,
        model=guard.model_name if guard else _model_name(model),
        synthetic=synthetic,
    )
    paths = ReportPaths(html=output, json=output.with_suffix(".json"), workdir=workdir)
    output.parent.mkdir(parents=True, exist_ok=True)
    paths.html.write_text(render_html(report), encoding="utf-8")
    paths.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return report, paths


def _taxonomy(model: Path | None, taxonomy: Path | None) -> Taxonomy:
    if taxonomy is not None:
        return load_taxonomy(taxonomy)
    shipped = (model or default_model_path()) / "taxonomy.yaml"
    return load_taxonomy(shipped if shipped.is_file() else None)


def _model_name(model: Path | None) -> str:
    manifest = (model or default_model_path()) / "model.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text())
        name = data.get("name") or "slmguard"
        return f"{name}-{data.get('version', data.get('slmguard_version', ''))}".rstrip("-")
    return "verdicts from the log"


def _with_thresholds(params: Params | None, tax: Taxonomy) -> Params:
    return replace(
        params or Params(), unsafe_threshold=tax.unsafe_threshold, sensitive_threshold=tax.sensitive_threshold
    )
