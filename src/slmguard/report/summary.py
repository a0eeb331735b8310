"""Turn the raw query rows into the report's data: shares, period changes, masked texts, summary lines.

Everything the HTML shows comes from the dict built here, and the same dict is written as JSON,
so every number in the report can be checked. Texts are PII-masked here, once, and the internal
query keys (lower-cased raw text) are dropped so they never reach the HTML or the JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from slmguard import Taxonomy
from slmguard.report.aggregate import Params
from slmguard.report.pii import mask_pii

TIERS = ("safe", "sensitive", "unsafe")
ACTIONS = ("allow", "caution", "block")
UNCLASSIFIED = "unclassified"


def _share(n: int | float, total: int | float) -> float:
    return round(n / total, 4) if total else 0.0


def _change(current: int, previous: int) -> float | None:
    """Relative change against the previous period; None when there was nothing before."""
    return round((current - previous) / previous, 4) if previous else None


def category_names(taxonomy: Taxonomy) -> dict[str, dict[str, str]]:
    names = {c.code: {"en": c.name_en, "ko": c.name_ko} for c in taxonomy.categories}
    names["unspecified"] = {"en": "Unspecified (no category over its threshold)", "ko": "미분류"}
    return names


def build_report(
    raw: dict[str, Any],
    *,
    source: dict[str, Any],
    params: Params,
    taxonomy: Taxonomy,
    engine: str,
    model: str,
    synthetic: bool = False,
) -> dict[str, Any]:
    """The report's data: a plain dict of every number (and masked text) the HTML shows."""
    ov = raw["overview"]
    total = int(ov["rows"] or 0)
    names = category_names(taxonomy)
    tiers = {str(r["tier"] or UNCLASSIFIED): int(r["n"]) for r in raw["tiers"]}
    by_tier = [{"tier": t, "n": tiers.get(t, 0), "share": _share(tiers.get(t, 0), total)} for t in TIERS]
    if tiers.get(UNCLASSIFIED):
        by_tier.append({"tier": UNCLASSIFIED, "n": tiers[UNCLASSIFIED], "share": _share(tiers[UNCLASSIFIED], total)})
    categories = [
        {
            "category": r["category"],
            "name": names.get(r["category"], {}).get("en", r["category"]),
            "n": int(r["n"]),
            "users": int(r["users"]),
            "share": _share(int(r["n"]), total),
        }
        for r in raw["categories"]
    ]
    langs: dict[str, dict[str, Any]] = {}
    for r in raw["tiers_by_lang"]:
        entry = langs.setdefault(r["lang"], {"lang": r["lang"], "n": 0, "tiers": {}, "categories": {}})
        entry["n"] += int(r["n"])
        entry["tiers"][str(r["tier"] or UNCLASSIFIED)] = int(r["n"])
    for r in raw["categories_by_lang"]:
        langs.setdefault(r["lang"], {"lang": r["lang"], "n": 0, "tiers": {}, "categories": {}})
        langs[r["lang"]]["categories"][r["category"]] = int(r["n"])
    for entry in langs.values():
        entry["share_unsafe"] = _share(entry["tiers"].get("unsafe", 0), entry["n"])
        entry["share_sensitive"] = _share(entry["tiers"].get("sensitive", 0), entry["n"])

    period = _periods(raw)
    actions = {a: 0 for a in ACTIONS}
    for r in raw["actions"]:
        key = str(r["action"] or UNCLASSIFIED)
        actions[key] = actions.get(key, 0) + int(r["n"])
    close = {
        "unsafe": sum(int(r["unsafe_close"] or 0) for r in raw["close_calls"]),
        "sensitive": sum(int(r["sensitive_close"] or 0) for r in raw["close_calls"]),
        "by_action": [
            {k: (str(v) if k == "action" and v is None else v) for k, v in r.items()} for r in raw["close_calls"]
        ],
        "margin": params.margin,
    }
    close["share_unsafe"] = _share(close["unsafe"], total)
    repeats = raw["repeats"][0] if raw["repeats"] else {}
    report: dict[str, Any] = {
        "meta": {
            "title": "Sensitive-traffic report" + (" — SYNTHETIC DEMO DATA" if synthetic else ""),
            "synthetic": synthetic,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "engine": engine,
            "model": model,
            "taxonomy": f"{taxonomy.name} v{taxonomy.version}",
            "params": params.to_dict(),
            "periods": raw.get("periods"),
        },
        "source": source,
        "overview": ov,
        "tiers": by_tier,
        "categories": categories,
        "category_names": {
            c["category"]: names.get(c["category"], {"en": c["category"], "ko": ""}) for c in categories
        },
        "languages": sorted(langs.values(), key=lambda e: -e["n"]),
        "daily": raw["daily"],
        "daily_categories": raw["daily_categories"],
        "hourly": raw["hourly"],
        "period": period,
        "actions": actions,
        "actions_by_tier": [
            {**r, "action": r["action"] or UNCLASSIFIED, "tier": r["tier"] or UNCLASSIFIED} for r in raw["actions"]
        ],
        "score_hist": raw["score_hist"],
        "thresholds": {"unsafe": params.unsafe_threshold, "sensitive": params.sensitive_threshold},
        "close_calls": close,
        "cooccurrence": raw["cooccurrence"],
        "repeats": {
            **repeats,
            "share_rows_in_repeats": _share(int(repeats.get("rows_in_repeats") or 0), total),
        },
        "top_queries": [_public(r) for r in raw["top_queries"]],
        "top_queries_by_category": _grouped(raw["top_queries_by_category"]),
        "samples": _grouped(raw["samples"]),
        "withheld": {r["category"]: {"queries": int(r["queries"]), "n": int(r["n"])} for r in raw["withheld"]},
        "top_terms": _grouped(raw["top_terms"], text_key="term"),
    }
    report["summary"] = summary_lines(report)
    return report


def _periods(raw: dict[str, Any]) -> dict[str, Any] | None:
    span = raw.get("periods")
    if not span:
        return None
    tiers = [
        {
            "tier": str(r["tier"] or UNCLASSIFIED),
            "current": int(r["current_n"]),
            "previous": int(r["previous_n"]),
            "change": _change(int(r["current_n"]), int(r["previous_n"])),
        }
        for r in raw["period_tiers"]
    ]
    cats = [
        {
            "category": r["category"],
            "current": int(r["current_n"]),
            "previous": int(r["previous_n"]),
            "delta": int(r["current_n"]) - int(r["previous_n"]),
            "change": _change(int(r["current_n"]), int(r["previous_n"])),
        }
        for r in raw["period_categories"]
    ]
    growth = sorted((c for c in cats if c["delta"] > 0), key=lambda c: (-c["delta"], c["category"]))[:5]
    return {
        "days": int(span["days"]),
        "current": [span["cut"][:10], span["end"][:10]],
        "previous": [span["start"][:10], span["cut"][:10]],
        "tiers": tiers,
        "categories": cats,
        "grew_most": growth,
        "total_current": sum(t["current"] for t in tiers),
        "total_previous": sum(t["previous"] for t in tiers),
    }


def _public(row: dict[str, Any], text_key: str = "text") -> dict[str, Any]:
    """A row fit to show: PII masked, the raw query key and the rank column dropped."""
    out = {k: v for k, v in row.items() if k not in ("qkey", "rnk")}
    if out.get(text_key) is not None:
        out[text_key] = mask_pii(str(out[text_key]))
    return out


def _grouped(rows: list[dict[str, Any]], text_key: str = "text") -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["category"], []).append({k: v for k, v in _public(r, text_key).items() if k != "category"})
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A few sentences of measured numbers (templates filled from the report; no generated prose)."""
    ov = report["overview"]
    total = int(ov["rows"] or 0)
    if total == 0:
        return ["The log is empty: there is nothing to report."]
    tiers = {t["tier"]: t for t in report["tiers"]}
    lines = [
        f"{total:,} queries"
        + (f" from {ov['users']:,} users" if ov.get("users") else "")
        + (f" on {ov['days']} days between {ov['first_ts'][:10]} and {ov['last_ts'][:10]}" if ov.get("days") else "")
        + ".",
        f"{_pct(tiers['unsafe']['share'])} unsafe ({tiers['unsafe']['n']:,}), "
        f"{_pct(tiers['sensitive']['share'])} sensitive ({tiers['sensitive']['n']:,}), "
        f"{_pct(tiers['safe']['share'])} safe ({tiers['safe']['n']:,}).",
    ]
    flagged = [c for c in report["categories"] if c["category"] != "sensitive"][:3]
    if flagged:
        lines.append(
            "Top unsafe categories: "
            + ", ".join(f"{c['category']} {c['name']} ({c['n']:,}, {_pct(c['share'])})" for c in flagged)
            + "."
        )
    a = report["actions"]
    lines.append(
        f"Actions: {a.get('block', 0):,} blocked, {a.get('caution', 0):,} answered with caution, "
        f"{a.get('allow', 0):,} allowed; {report['close_calls']['unsafe']:,} decisions "
        f"({_pct(report['close_calls']['share_unsafe'])}) had an unsafe score within "
        f"±{report['close_calls']['margin']} of the threshold."
    )
    p = report["period"]
    if p and p["total_previous"]:
        change = (p["total_current"] - p["total_previous"]) / p["total_previous"]
        line = (
            f"Last {p['days']} days: {p['total_current']:,} queries, {'+' if change >= 0 else ''}{_pct(change)} "
            f"against the {p['days']} days before"
        )
        if p["grew_most"]:
            g = p["grew_most"][0]
            line += f"; {g['category']} grew most (+{g['delta']:,}: {g['previous']:,} → {g['current']:,})"
        lines.append(line + ".")
    rep = report["repeats"]
    if rep.get("repeated_queries"):
        lines.append(
            f"{rep['repeated_queries']:,} queries were asked more than once; repeats make up "
            f"{_pct(rep['share_rows_in_repeats'])} of all rows."
        )
    dq = report["source"]
    problems = []
    if dq.get("skipped_rows"):
        problems.append(f"{dq['skipped_rows']:,} unreadable rows skipped")
    if dq.get("bad_timestamps"):
        problems.append(f"{dq['bad_timestamps']:,} unparseable timestamps")
    if ov.get("rows_without_verdict"):
        problems.append(f"{ov['rows_without_verdict']:,} rows without a verdict")
    if problems:
        lines.append("Data quality: " + ", ".join(problems) + " (see the data-quality section).")
    return lines
