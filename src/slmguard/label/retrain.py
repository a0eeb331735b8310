"""The UI's retrain button: a background job that trains heads on the labels and compares models."""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slmguard import Guard, SlmguardError, Taxonomy
from slmguard.data.manifest import Manifest
from slmguard.eval.before_after import compare
from slmguard.label.store import LabelStore
from slmguard.train import TrainConfig, examples_from_rows, train


@dataclass
class RetrainSettings:
    """Where the retrained model goes and what it trains on (tests point these at tiny data)."""

    output: Path = Path("models/retrained")
    epochs: int = 40
    """Epochs of a retrain from scratch (an extension uses train.EXTEND_HEADS)."""
    from_scratch: bool = False
    """Retrain every head even when the policy adds categories. By default a policy that adds
    categories extends the guard (`slmguard train --extend`): the new categories are learnt and
    every other output is kept, but labels of the guard's own categories are not learnt."""
    datasets: Path | None = None
    project_dir: Path | None = None


@dataclass
class RetrainJob:
    """State of one run, polled by the UI: stage, progress, log lines, then result or error."""

    state: str = "idle"  # idle | running | done | failed
    stage: str = ""
    done: int = 0
    total: int = 0
    log: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    started: float = 0.0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "log": self.log[-20:],
            "result": self.result,
            "error": self.error,
            "seconds": round(self.seconds or (time.time() - self.started if self.started else 0), 1),
        }


class Retrainer:
    """Runs at most one retrain at a time in a daemon thread."""

    def __init__(
        self, guard: Guard, store: LabelStore, settings: RetrainSettings, *, taxonomy: Taxonomy | None = None
    ) -> None:
        self.guard = guard
        self.taxonomy = taxonomy or guard.taxonomy  # the reviewers' policy: it may add categories
        self.store = store
        self.settings = settings
        self.job = RetrainJob()
        self._lock = threading.Lock()

    def start(self) -> RetrainJob:
        """Start a run on the labels saved so far (a run already going is returned as is)."""
        with self._lock:
            if self.job.state == "running":
                return self.job
            self.job = RetrainJob(state="running", stage="export labels", started=time.time())
        threading.Thread(target=self._run, args=(self.job,), daemon=True, name="slmguard-retrain").start()
        return self.job

    def _run(self, job: RetrainJob) -> None:
        try:
            job.result = self.run(job)
            job.state = "done"
        except SlmguardError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # a crash must reach the reviewer, not vanish in a thread
            job.error, job.state = f"{type(exc).__name__}: {exc}", "failed"
            job.log.append(traceback.format_exc(limit=3))
        job.seconds = time.time() - job.started

    def run(self, job: RetrainJob) -> dict[str, Any]:
        """Export, train, save, compare; the same steps as `slmguard train --extra` with comparison."""
        s = self.settings
        s.output.mkdir(parents=True, exist_ok=True)
        rows = self.store.export_rows()
        if not rows:
            raise SlmguardError("No labels yet: label some items before retraining.")
        self.store.export_jsonl(s.output / "labels.jsonl")
        job.log.append(f"{len(rows)} labelled items exported to {s.output / 'labels.jsonl'}")
        extra = examples_from_rows(rows, source="labels")
        tax_path = s.output / "policy.yaml"
        tax_path.write_text(self.taxonomy.source_text, encoding="utf-8")
        new = [c for c in self.taxonomy.codes if c not in self.guard.parts.category_codes]
        extend = bool(new) and not s.from_scratch
        if extend:
            job.log.append(
                f"the policy adds {', '.join(new)}: extending {self.guard.model_name} with it; its other outputs are "
                "kept and labels of its own categories are not learnt (retrain from scratch to learn them)"
            )
        config = TrainConfig(
            encoder=self.guard.parts.encoder,
            taxonomy=tax_path,
            extra=extra,
            heads={} if extend else {"epochs": s.epochs},
            name=f"{self.guard.parts.name}-retrained",
            version=self.guard.parts.version,
            extend=self.guard.parts if extend else None,
        )

        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total

        manifest = Manifest(s.datasets) if s.datasets else None
        result = train(config, manifest=manifest, project_dir=s.project_dir, log=job.log.append, progress=progress)
        job.stage, job.done, job.total = "save", 0, 0
        result.guard.save(s.output / "model")
        job.stage = "compare before/after"
        comparison = compare(self.guard, result.guard, {"dev": result.corpus.dev, "labelled": extra})
        job.log.append(f"saved {s.output / 'model'}")
        return {
            "model": str(s.output / "model"),
            "labels": len(rows),
            "extended_with": new if extend else [],
            "comparison": comparison,
        }
