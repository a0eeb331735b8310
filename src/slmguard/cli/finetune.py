"""`slmguard finetune`: fine-tune e5-small's layers on the guard's tasks (the shipped encoder)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from slmguard.cli._output import fail
from slmguard.errors import SlmguardError


def finetune(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write the fine-tuned layers to.")] = Path(
        "models/encoders/e5-small-slmguard.safetensors"
    ),
    bundle: Annotated[
        Path,
        typer.Option(
            help="Training bundle (.npz): written from ../shared/datasets if missing or with --export-only, else read."
        ),
    ] = Path("out/finetune/bundle.npz"),
    export_only: Annotated[
        bool, typer.Option(help="Only write the bundle, e.g. to carry it to a GPU machine without the datasets.")
    ] = False,
    layers: Annotated[int, typer.Option(help="Layers the student keeps (the first N of 12).", min=1, max=12)] = 12,
    epochs: Annotated[int, typer.Option(help="Epochs; the one with the best dev F1 is kept.", min=1)] = 3,
    seed: Annotated[int, typer.Option(help="Seed of initialisation and batch order (the shipped file: 0).")] = 0,
    init: Annotated[
        Path | None, typer.Option(help="Layers file to start from instead of e5-small's (e.g. the shipped fine-tune).")
    ] = None,
    teacher: Annotated[
        Path | None,
        typer.Option(
            help="Model directory whose scores the student distils (written into the bundle, which then needs "
            "--export-only or a new --bundle path)."
        ),
    ] = None,
    unlabelled: Annotated[
        int, typer.Option(help="With --teacher: up to this many more unlabelled train texts per dataset.", min=0)
    ] = 0,
    distill: Annotated[
        float, typer.Option(help="Weight of the teacher's scores beside the labels (needs a bundle with them).", min=0)
    ] = 0.0,
    teacher_layers: Annotated[
        Path | None, typer.Option(help="With --distill: the teacher's layers file, whose vectors the student copies.")
    ] = None,
    lr: Annotated[float, typer.Option(help="Learning rate of the encoder's layers.", min=0)] = 5e-5,
    batch_size: Annotated[int, typer.Option(help="Texts per training step.", min=1)] = 32,
    exit_layer: Annotated[
        int | None,
        typer.Option(help="Also train the targets after this many layers (for `slmguard train --early-exit-layer`)."),
    ] = None,
    device: Annotated[str | None, typer.Option(help="torch device (default: cuda if present, else cpu).")] = None,
) -> None:
    """Fine-tune e5-small's layers on the tier, category and response-judge targets.

    The shipped models/encoders/e5-small-slmguard.safetensors comes from the defaults: three epochs, 206 s on one H100.

    On 2 CPU cores it takes hours (BENCHMARKS.md); write the bundle with --export-only and train it on a GPU.

    Then `slmguard train` trains the heads on the new vectors in minutes on a CPU.

    The fast model's 3-layer student distils the default model: --export-only --teacher models/default
    --unlabelled 3500, then --layers 3 --exit-layer 2 --epochs 9 --batch-size 64 --lr 1e-4 --distill 1 with
    --init and --teacher-layers the shipped layers (BENCHMARKS.md, "Distilled student").
    """
    from slmguard.finetune import FinetuneSettings, export_bundle, load_bundle
    from slmguard.finetune import finetune as run_finetune

    try:
        if export_only or not bundle.is_file():
            export_bundle(bundle, teacher=teacher, unlabelled=unlabelled, log=lambda m: typer.echo(m, err=True))
        if export_only:
            typer.echo(f"bundle written to {bundle}")
            return
        from slmguard.encoders.layer_weights import save_layers

        settings = FinetuneSettings(
            layers=list(range(layers)), epochs=epochs, seed=seed, lr=lr, batch_size=batch_size, init=init,
            distill=distill, teacher_layers=teacher_layers, exit_layer=exit_layer,
        )  # fmt: skip
        data = load_bundle(bundle)
        result = run_finetune(data, settings, device=device, log=lambda m: typer.echo(m, err=True))
        best = {**result.history[result.best_epoch - 1], "best_epoch": result.best_epoch}
        recipe = {
            "layers": layers,
            "epochs": epochs,
            "seed": seed,
            "batch_size": settings.batch_size,
            "lr": settings.lr,
            **({"init": init.name} if init else {}),
            **({"exit_layer": exit_layer} if exit_layer else {}),
            **(distill_record(data, distill, teacher_layers) if distill else {}),
        }
        info = {"settings": json.dumps({**recipe, "device": result.device}), "dev": json.dumps(best)}
        save_layers(result.model, output, info=info)
    except SlmguardError as exc:
        fail(exc)
    typer.echo(f"saved {output}: epoch {result.best_epoch}, dev F1 {best['dev_f1']:.3f}")


def distill_record(bundle: dict[str, Any], weight: float, teacher_layers: Path | None) -> dict[str, Any]:
    """What a distilled student records of its teacher: the model, its layers file, the unlabelled texts."""
    return {
        "distill": weight,
        "teacher_model": str(bundle["teacher_model"]) if "teacher_model" in bundle else None,
        "teacher": teacher_layers.name if teacher_layers else None,
        "unlabelled_texts": int((bundle["split"] == 2).sum()),
    }
