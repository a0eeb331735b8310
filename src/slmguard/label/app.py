"""The review app: FastAPI routes over the queue, the explanations, the label store and retraining.

`create_app(settings)` loads the Guard and the items once (lifespan); the front end in `static/`
is plain HTML/JS/CSS served by the same app, with no CDN and no build step.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from slmguard import Guard, InvalidInputError, SlmguardError, load_taxonomy
from slmguard.label.explain import explain
from slmguard.label.queue import Item, Strategy, is_decision_log, load_items, order
from slmguard.label.retrain import Retrainer, RetrainSettings
from slmguard.label.rules import LabelRules
from slmguard.label.store import LabelConflict, LabelStore, agreement, is_url, similar

STATIC = Path(str(resources.files("slmguard.label") / "static"))


@dataclass
class LabelSettings:
    """What `slmguard label` serves."""

    input: str | Path
    db: str | Path | None = None
    model: Path | None = None
    taxonomy: Path | None = None
    text_column: str = "text"
    limit: int | None = None
    sensitive_may_block: bool = False
    retrain: RetrainSettings = field(default_factory=RetrainSettings)
    progress: Callable[[int, int], None] | None = None
    """Called as a query file is scored at start-up (done, total)."""

    @property
    def db_path(self) -> str | Path:
        """The labels live in the decision log's own database when the input is one, else `labels.db` beside it."""
        if self.db is not None:
            return self.db
        if is_url(self.input):
            return str(self.input)
        path = Path(self.input)
        return path if is_decision_log(path) else path.with_name("labels.db")


class State:
    """Everything the routes share, built once by the lifespan."""

    def __init__(self, settings: LabelSettings, guard: Guard) -> None:
        self.settings = settings
        self.guard = guard
        taxonomy = load_taxonomy(settings.taxonomy) if settings.taxonomy else guard.taxonomy
        self.rules = LabelRules(taxonomy, sensitive_may_block=settings.sensitive_may_block)
        self.items, self.skipped = load_items(
            settings.input, guard, text_column=settings.text_column, limit=settings.limit, progress=settings.progress
        )
        self.by_key = {it.key: it for it in self.items}
        self.store = LabelStore(settings.db_path)
        self.retrainer = Retrainer(guard, self.store, settings.retrain, taxonomy=taxonomy)
        self._explained: dict[str, dict[str, Any]] = {}

    def explanation(self, item: Item) -> dict[str, Any]:
        if item.key not in self._explained:
            self._explained[item.key] = explain(self.guard, item.text).to_dict()
        return self._explained[item.key]


def get_state(request: Request) -> State:
    return request.app.state.label


StateDep = Annotated[State, Depends(get_state)]


class LabelIn(BaseModel):
    key: str
    tier: str
    categories: list[str] = Field(default_factory=list)
    note: str = Field(default="", max_length=2000)
    reviewer: str = Field(min_length=1, max_length=100)
    expected_version: int = 0


class UndoIn(BaseModel):
    key: str
    reviewer: str = Field(min_length=1, max_length=100)
    version: int


def create_app(settings: LabelSettings, *, guard: Guard | None = None) -> FastAPI:
    """The app; `guard` lets tests share an already loaded model."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.label = State(settings, guard or Guard.load(settings.model))
        yield
        app.state.label.store.close()

    app = FastAPI(title="slmguard label", lifespan=lifespan)

    @app.exception_handler(SlmguardError)
    async def _refuse(_request: Request, exc: SlmguardError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/", index, methods=["GET"], include_in_schema=False)
    app.add_api_route("/api/config", config, methods=["GET"])
    app.add_api_route("/api/next", next_item, methods=["GET"])
    app.add_api_route("/api/items/{key}", get_item, methods=["GET"])
    app.add_api_route("/api/labels", save_label, methods=["POST"])
    app.add_api_route("/api/labels/undo", undo_label, methods=["POST"])
    app.add_api_route("/api/stats", stats, methods=["GET"])
    app.add_api_route("/api/export.jsonl", export, methods=["GET"])
    app.add_api_route("/api/retrain", start_retrain, methods=["POST"])
    app.add_api_route("/api/retrain", retrain_status, methods=["GET"])
    return app


def index() -> FileResponse:
    return FileResponse(STATIC / "index.html")


def config(state: StateDep) -> dict[str, Any]:
    """Rules, taxonomy definitions and the queue's size, for the front end."""
    return {
        "rules": state.rules.to_dict(),
        "model": state.guard.model_name,
        "input": str(state.settings.input),
        "items": len(state.items),
        "skipped": state.skipped,
        "strategies": [s.value for s in Strategy],
    }


def _detail(state: State, item: Item, reviewer: str) -> dict[str, Any]:
    history = state.store.history(item.key)
    mine = [h for h in history if h.reviewer == reviewer]
    others = [lab for lab in state.store.current() if lab.item_key != item.key]
    return {
        "item": item.to_dict(),
        "explanation": state.explanation(item),
        "version": history[-1].version if history else 0,
        "history": [h.to_dict() for h in history],
        "mine": mine[-1].to_dict() if mine else None,
        "similar": similar(others, item.text),
    }


def next_item(
    state: StateDep,
    reviewer: str,
    strategy: Strategy = Strategy.UNCERTAIN,
    category: str | None = None,
    skip: str = "",
) -> dict[str, Any]:
    """The first item in the strategy's order that this reviewer has not labelled or skipped."""
    codes = state.rules.taxonomy.codes
    if strategy == Strategy.CATEGORY and category not in codes:
        raise InvalidInputError(f"The 'category' strategy needs one of {', '.join(codes)}; got {category!r}.")
    done = state.store.labelled_keys(reviewer) | set(filter(None, skip.split(",")))
    ordered = order(state.items, strategy, category=category)
    remaining = [it for it in ordered if it.key not in done]
    if not remaining:
        return {"item": None, "remaining": 0, "total": len(ordered)}
    return {**_detail(state, remaining[0], reviewer), "remaining": len(remaining), "total": len(ordered)}


def get_item(state: StateDep, key: str, reviewer: str) -> dict[str, Any]:
    item = state.by_key.get(key)
    if item is None:
        raise HTTPException(404, f"No item with key {key!r} in this queue.")
    return _detail(state, item, reviewer)


def save_label(state: StateDep, body: LabelIn) -> Any:
    """Validate with the taxonomy rules, then save with the version the reviewer saw (409 on conflict)."""
    item = state.by_key.get(body.key)
    if item is None:
        raise HTTPException(404, f"No item with key {body.key!r} in this queue.")
    tier, cats = state.rules.check(body.tier, body.categories)
    try:
        label = state.store.save(
            text=item.text,
            tier=tier,
            categories=cats,
            note=body.note.strip(),
            reviewer=body.reviewer.strip(),
            expected_version=body.expected_version,
        )
    except LabelConflict as exc:
        latest = exc.latest.to_dict() if exc.latest else None
        return JSONResponse({"detail": str(exc), "latest": latest, "version": exc.version}, status_code=409)
    return label.to_dict()


def undo_label(state: StateDep, body: UndoIn) -> Any:
    try:
        previous = state.store.undo(key=body.key, reviewer=body.reviewer, version=body.version)
    except LabelConflict as exc:
        return JSONResponse({"detail": str(exc), "version": exc.version}, status_code=409)
    return {"previous": previous.to_dict() if previous else None}


def stats(state: StateDep) -> dict[str, Any]:
    """Labels per reviewer and the agreement between reviewers."""
    current = state.store.current()
    per: dict[str, int] = {}
    for lab in current:
        per[lab.reviewer] = per.get(lab.reviewer, 0) + 1
    return _finite(
        {"labelled_items": len({lab.item_key for lab in current}), "by_reviewer": per, "agreement": agreement(current)}
    )


def export(state: StateDep) -> Response:
    """The labels as training JSONL (`slmguard train --extra labels.jsonl`)."""
    rows = state.store.export_rows()
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return Response(
        body, media_type="application/x-ndjson", headers={"Content-Disposition": 'attachment; filename="labels.jsonl"'}
    )


def start_retrain(state: StateDep) -> dict[str, Any]:
    if not state.store.export_rows():
        raise InvalidInputError("No labels yet: label some items before retraining.")
    return _finite(state.retrainer.start().to_dict())


def retrain_status(state: StateDep) -> dict[str, Any]:
    return _finite(state.retrainer.job.to_dict())


def _finite(obj: Any) -> Any:
    """NaN (an undefined metric) becomes null: JSON has no NaN."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj
