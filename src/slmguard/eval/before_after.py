"""Before/after metrics of two Guards on the same labelled sets, so a retrain shows what it changed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from slmguard.data.example import Example
from slmguard.embedding_cache import cached, flush
from slmguard.encoders import Encoder
from slmguard.eval.metrics import binary_metrics
from slmguard.guard import Guard


def guard_metrics(guard: Guard, examples: Sequence[Example], *, encoder: Encoder | None = None) -> dict[str, float]:
    """Tier accuracy, unsafe-vs-rest F1 and per-category F1 of `guard` on `examples`.

    A category's F1 counts a text as predicted when the verdict flags the code, over the rows
    whose categories are known (an unsafe row of unknown reason is left out). Codes the guard's
    taxonomy lacks score as never predicted, so a new category's "before" F1 is 0. `encoder`
    is the guard's encoder wrapped in the embedding cache (made here when not given).
    """
    if not examples:
        return {}
    fast = Guard(guard.parts, encoder or cached(guard.encoder))  # same model, embeddings from the cache
    verdicts = fast.check_batch([e.text for e in examples])
    flush(fast.encoder)
    true_tier = np.array([e.label for e in examples])
    pred_tier = np.array([str(v.label) for v in verdicts])
    out = {
        "n": float(len(examples)),
        "tier_accuracy": float(np.mean(true_tier == pred_tier)),
        "unsafe_f1": binary_metrics(true_tier == "unsafe", pred_tier == "unsafe")["f1"],
    }
    known = [i for i, e in enumerate(examples) if e.categories is not None]
    codes = sorted({c for i in known for c in examples[i].categories or ()})
    for code in codes:
        y = np.array([code in (examples[i].categories or ()) for i in known])
        p = np.array([code in verdicts[i].flagged for i in known])
        out[f"f1_{code}"] = binary_metrics(y, p)["f1"]
    return out


def compare(
    before: Guard, after: Guard, sets: Mapping[str, Sequence[Example]]
) -> dict[str, dict[str, dict[str, float]]]:
    """`{set: {"before": metrics, "after": metrics}}` for each named set of examples."""
    enc_b = cached(before.encoder)
    enc_a = enc_b if after.encoder.name == before.encoder.name else cached(after.encoder)
    return {
        name: {"before": guard_metrics(before, ex, encoder=enc_b), "after": guard_metrics(after, ex, encoder=enc_a)}
        for name, ex in sets.items()
    }


def format_comparison(result: Mapping[str, Mapping[str, Mapping[str, float]]], *, echo: Callable[[str], None]) -> None:
    """Print one table per set: metric, before, after, change."""
    for name, ba in result.items():
        b, a = ba["before"], ba["after"]
        echo(f"{name} ({int(a.get('n', 0))} rows)    before   after   change")
        for key in a:
            if key == "n":
                continue
            vb, va = b.get(key, float("nan")), a[key]
            echo(f"  {key:<22} {vb:7.3f} {va:7.3f} {va - vb:+8.3f}")
