"""`slmguard train`: rebuild the shipped model (or one for your own taxonomy and labels)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slmguard.cli._output import fail
from slmguard.data.readers import iter_rows
from slmguard.errors import ModelLoadError, SlmguardError


def train(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write the model to.")] = Path(
        "models/trained"
    ),
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy YAML to train heads for (default: the shipped one).")
    ] = None,
    extra: Annotated[
        list[Path] | None, typer.Option(help="Extra labelled JSONL/CSV/Parquet files (text, label, categories).")
    ] = None,
    encoder: Annotated[
        str,
        typer.Option(
            help="Encoder registry name (the fast model, models/fast: e5-small-student, --early-exit-layer 2)."
        ),
    ] = "e5-small-ft+minilm",
    name: Annotated[str, typer.Option(help="Model name in verdicts and the model card.")] = "slmguard-default",
    epochs: Annotated[
        int | None, typer.Option(help="Training epochs for the heads (default: 40; 8 with --extend).")
    ] = None,
    extend: Annotated[
        Path | None,
        typer.Option(
            help="Add the --taxonomy categories this model lacks, learnt from the --extra labels, and keep "
            "everything else it outputs exactly as it is (a new policy category in about a minute)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the data sampling (the shipped model uses 0).")] = 0,
    head_seed: Annotated[
        int, typer.Option(help="Seed of the heads' initialisation and batch order (the shipped model uses 1).")
    ] = 1,
    ensemble: Annotated[
        int,
        typer.Option(
            min=1,
            help="Head seeds whose logits are averaged, from --head-seed on, for the main and the early-exit "
            "heads (the shipped model uses 3).",
        ),
    ] = 3,
    early_exit_layer: Annotated[
        list[int] | None,
        typer.Option(
            min=0,
            help="Also train heads on the first N layers of e5, an early exit for the texts they are sure of; "
            "repeat for a chain of exits, e.g. 3 and 6 (the shipped model uses 6; 0: every text runs every layer).",
        ),
    ] = None,
    compare_to: Annotated[
        Path | None,
        typer.Option(
            help="Model to compare with: before/after metrics on dev and on the --extra rows "
            "(default: the --extend model, else models/default)."
        ),
    ] = None,
    compare: Annotated[bool, typer.Option(help="Print before/after metrics (--no-compare to skip).")] = True,
) -> None:
    """Train the guard's heads from ../shared/datasets and data/, calibrate them on dev, and save.

    With the defaults this reproduces the shipped model in models/default. Sentence
    embeddings are cached in ~/.cache/slmguard, so a second run takes a minute or two.
    """
    from slmguard.artifacts import load_model
    from slmguard.train import TrainConfig, examples_from_rows
    from slmguard.train import train as run_training

    try:
        extra_examples = []
        for path in extra or []:
            rows = []
            for row in iter_rows(path):
                if row.error:
                    typer.echo(f"skipped {path}: {row.error}", err=True)
                else:
                    rows.append(row.data)
            extra_examples += examples_from_rows(rows, source=f"extra:{path.name}")
        base = load_model(extend) if extend is not None else None
        config = TrainConfig(
            encoder=base.encoder if base else encoder,
            name=name,
            taxonomy=taxonomy,
            extra=extra_examples,
            heads={"epochs": epochs} if epochs is not None else {},
            seed=seed,
            head_seed=head_seed,
            ensemble=ensemble,
            early_exit_layers=_exit_layers(early_exit_layer),
            extend=base,
        )
        bars: dict[str, object] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                typer.echo(f"{stage}: 0/{total}", err=True)
                bars[stage] = 0
            if done == total or done - int(bars[stage]) >= max(total // 10, 1):  # type: ignore[call-overload]
                typer.echo(f"{stage}: {done}/{total}", err=True)
                bars[stage] = done

        result = run_training(config, log=lambda m: typer.echo(m, err=True), progress=progress)
        from slmguard.model_card import render_model_card

        before = None
        compare_to = compare_to or extend or Path("models/default")
        if compare and compare_to.is_dir():
            from slmguard import Guard

            try:
                before = Guard.load(compare_to)  # before saving: --output may be the same directory
            except ModelLoadError as exc:  # e.g. trained on another encoder version: save anyway
                typer.echo(f"no before/after comparison: {exc}", err=True)
        result.guard.save(output, model_card=render_model_card(result.guard))
        if before is not None:
            from slmguard.eval.before_after import compare as compare_guards
            from slmguard.eval.before_after import format_comparison

            sets = {"dev": result.corpus.dev, **({"labelled": extra_examples} if extra_examples else {})}
            format_comparison(compare_guards(before, result.guard, sets), echo=typer.echo)
    except SlmguardError as exc:
        fail(exc)
    typer.echo(f"saved {output} in {result.seconds:.0f}s")


def _exit_layers(given: list[int] | None) -> tuple[int, ...]:
    """--early-exit-layer as TrainConfig wants it: the default chain when not given, none for 0."""
    from slmguard.train import TrainConfig

    if not given:
        return TrainConfig.early_exit_layers
    return tuple(n for n in given if n > 0)
