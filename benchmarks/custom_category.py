"""Custom-category experiment: add a company-policy category, retrain on 500 labels, measure.

A user taxonomy (data/custom/competitor_policy.yaml) adds `competitor_mentions` to the default
categories; data/custom/competitor_mentions.jsonl (see data/DATASHEET.md) has 600 labelled rows.
A fixed 100 (by a hash of the row id) are held out; the other 500 go to
`slmguard train --extend models/default --taxonomy ... --extra ...` (the shipped model extended
with the new category: only its column learns, everything else the model outputs is kept), run
as a user runs it and timed on a copy of the warm embedding cache (so the 500 new texts are
encoded, as on a reviewer's machine). "Before" is the shipped model. Both are scored on the
held-out rows and on the standard dev set (without the new rows), category by category.

Run: python benchmarks/custom_category.py  -> results/custom_category.json, sections/50-label.md
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from slmguard import Guard
from slmguard.data.corpus import build_corpus
from slmguard.embedding_cache import default_cache_dir
from slmguard.eval.before_after import compare
from slmguard.train import examples_from_rows

HERE = Path(__file__).parent
ROOT = HERE.parent
DATA = ROOT / "data" / "custom" / "competitor_mentions.jsonl"
POLICY = ROOT / "data" / "custom" / "competitor_policy.yaml"
SHIPPED = ROOT / "models" / "default"
CODE = "competitor_mentions"
HELD_OUT = 100


def _child_cpu() -> float:
    """User + system CPU seconds of finished child processes (the training run)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """The HELD_OUT rows with the smallest id hash are held out; the rest train."""
    ranked = sorted(rows, key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
    return ranked[HELD_OUT:], ranked[:HELD_OUT]


def _retrain(output: Path, env: dict[str, str], *args: str) -> tuple[float, float, float]:
    """`slmguard train ... --output OUTPUT` as a user runs it: wall seconds, CPU seconds, load average."""
    cmd = [sys.executable, "-m", "slmguard.cli", "train", *args, "--output", str(output), "--no-compare"]
    start, cpu0, load0 = time.perf_counter(), _child_cpu(), os.getloadavg()[0]
    subprocess.run(cmd, env=env, check=True)
    return time.perf_counter() - start, _child_cpu() - cpu0, (load0 + os.getloadavg()[0]) / 2


def main() -> None:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    train_rows, held_rows = split(rows)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        extra = tmp_path / "labels.jsonl"
        extra.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in train_rows), encoding="utf-8")
        cache = tmp_path / "cache"
        shutil.copytree(default_cache_dir(), cache)  # warm for the public data, cold for the 500 new texts
        env = {**os.environ, "SLMGUARD_CACHE": str(cache)}
        seconds, cpu, load = _retrain(
            tmp_path / "model", env, "--extend", str(SHIPPED), "--taxonomy", str(POLICY), "--extra", str(extra)
        )
        os.environ["SLMGUARD_CACHE"] = str(cache)
        before, after = Guard.load(SHIPPED), Guard.load(tmp_path / "model")
        train_examples = examples_from_rows(train_rows, source="extra:labels.jsonl")
        held = examples_from_rows(held_rows, source="held_out")
        corpus = build_corpus(extra=train_examples)
        dev = [e for e in corpus.dev if not e.source.startswith("extra:")]
        result = compare(before, after, {"held_out": held, "dev": dev})

    other = [k for k in result["dev"]["after"] if k.startswith("f1_") and k != f"f1_{CODE}"]
    drops = {k: d for k in other if (d := result["dev"]["after"][k] - result["dev"]["before"][k]) == d}  # no NaN
    out = {
        "command": "slmguard train --extend models/default --taxonomy data/custom/competitor_policy.yaml "
        "--extra <500 rows> --output ...",
        "added_labels": len(train_rows),
        "held_out": len(held_rows),
        "held_out_positives": sum(1 for r in held_rows if CODE in r["categories"]),
        "retrain_seconds": round(seconds, 1),
        "retrain_cpu_seconds": round(cpu, 1),
        "load_average_during_retrain": round(load, 1),
        "cores": os.cpu_count(),
        "held_out_f1_new_category": result["held_out"]["after"][f"f1_{CODE}"],
        "largest_drop_other_category_f1": min(drops.values()),
        "other_category_dev_f1_change": drops,
        "comparison": result,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "custom_category.json").write_text(json.dumps(out, indent=2) + "\n")
    write_section()
    print(json.dumps({k: v for k, v in out.items() if k != "comparison"}, indent=2))


def write_section() -> None:
    """sections/50-label.md from results/custom_category.json and results/label_ui.json."""
    res = json.loads((HERE / "results" / "custom_category.json").read_text())
    ui_path = HERE / "results" / "label_ui.json"
    ui = json.loads(ui_path.read_text()) if ui_path.is_file() else None
    dev = res["comparison"]["dev"]
    f1 = res["held_out_f1_new_category"]
    drop = res["largest_drop_other_category_f1"]
    load = (
        f", machine load average {res['load_average_during_retrain']}" if "load_average_during_retrain" in res else ""
    )
    cpu = f" ({res['retrain_cpu_seconds']:.0f} CPU-s)" if "retrain_cpu_seconds" in res else ""
    lines = [
        "## Review UI and active learning",
        "",
        "```bash",
        "python benchmarks/label_ui.py        # keyboard labelling through the real UI (headless Chromium)",
        "python benchmarks/custom_category.py # a new policy category: retrain on 500 labels, before/after",
        "```",
        "",
        "| measure | measured | target |",
        "|---|---:|---|",
    ]
    if ui:
        rate = ui["items_per_minute"]
        lines += [
            f"| keystrokes per item (a tier or category letter, then Enter) | {ui['keystrokes_per_item']:.0f} | |",
            f"| HTTP round trips per item (save, next item) | {ui['round_trips_per_item']:.0f} | |",
            f"| reviewer's wait per item, median of {ui['items']} (first key to next item shown; {ui['cores']} cores,"
            f" load average {ui['load_average']}) | {ui['median_seconds_per_item']:.2f} s"
            f" (p90 {ui['p90_seconds_per_item']:.2f} s) | |",
            f"| items per minute, keyboard only, {ui['reading_seconds_simulated']:.0f} s reading per item (simulated)"
            f" | {rate:.1f} | ≥ 10 {_tick(rate >= 10)} |",
        ]
    lines += [
        f"| retrain on {res['added_labels']} added labels (`slmguard train --extend --extra`, {res['cores']} cores,"
        " warm cache"
        f" for the public data), wall time{load} | {res['retrain_seconds']:.0f} s{cpu}"
        f" | < 120 s {_tick(res['retrain_seconds'] < 120)} |",
        *_scratch_row(),
        f"| `{CODE}` F1 on {res['held_out']} held-out rows ({res['held_out_positives']} positive), after retraining"
        f" | {f1:.3f} | ≥ 0.80 {'✅' if f1 >= 0.8 else '❌'} |",
        f"| largest drop of another category's dev F1 | {drop:+.3f} | ≥ −0.010 {'✅' if drop >= -0.01 else '❌'} |",
        "",
        f"Dev set (standard dev rows, {int(dev['after']['n'])}), before (the shipped model) → after (extended"
        " with the new category):",
        "",
        "| metric | before | after | change |",
        "|---|---:|---:|---:|",
    ]  # fmt: skip
    for k, a in dev["after"].items():
        if k == "n":
            continue
        b = dev["before"].get(k)
        lines.append(f"| {k} | {_fmt(b)} | {_fmt(a)} | {'' if b is None or a is None else f'{a - b:+.3f}'} |")
    lines += [
        "",
        "Read these figures with two limits. The new category's rows are template-generated (see",
        "data/DATASHEET.md): held-out rows share templates and brand names with training rows, so the",
        "held-out F1 measures learning a policy from labels, not generalisation to unseen phrasings or",
        "brands. Several categories have few dev rows, so one or two rows move their F1 by points.",
        "`--extend` learns only the new category's column on the frozen trunk and keeps the tier head,",
        "the other categories, the calibration and the threshold, so other categories cannot move; the",
        "new category then puts a text in its tier on its own. A retrain from scratch instead (with a",
        "control retrain as \"before\", results/custom_category_from_scratch.json) reached F1 0.98 on",
        "the new category but moved other categories' dev F1 by −0.09 to +0.11 through training noise",
        "alone, as small dev categories flip on a few rows.",
        "",
    ]  # fmt: skip
    (HERE / "sections").mkdir(exist_ok=True)
    (HERE / "sections" / "50-label.md").write_text("\n".join(lines))


def _scratch_row() -> list[str]:
    """The retrain from scratch on the same labels (the review UI's retrain), when it was measured."""
    path = HERE / "results" / "custom_category_from_scratch.json"
    if not path.is_file():
        return []
    res = json.loads(path.read_text())
    return [
        f"| retrain from scratch on the same labels (the review UI's retrain: all heads, recalibrated), wall time,"
        f" load average {res['load_average_during_retrain']} | {res['retrain_seconds']:.0f} s"
        f" ({res['retrain_cpu_seconds']:.0f} CPU-s) | < 120 s {_tick(res['retrain_seconds'] < 120)} |"
    ]


def _tick(ok: bool) -> str:
    return "✅" if ok else "❌"


def _fmt(v: float | None) -> str:
    return "–" if v is None or v != v else f"{v:.3f}"


if __name__ == "__main__":
    if sys.argv[1:] == ["--section-only"]:
        write_section()
    else:
        main()
