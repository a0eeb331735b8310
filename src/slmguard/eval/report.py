"""Markdown and self-contained HTML reports of an evaluation run (inline SVG charts; works offline)."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
METRICS = ("f1", "precision", "recall", "fpr", "auprc", "ece", "brier")
HEADERS = {"f1": "F1", "precision": "precision", "recall": "recall", "fpr": "FPR", "auprc": "AUPRC", "ece": "ECE",
           "brier": "Brier"}  # fmt: skip


def fmt(x: Any) -> str:
    """Three decimals; an en dash for a missing or undefined value."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def _rows(report: dict[str, Any]) -> list[tuple[dict[str, Any], str, str, dict[str, Any] | None, str]]:
    """(set, scorer, lang, metrics or None, note) for every table row: 'all' first, then each language."""
    out = []
    for s in report["sets"]:
        for scorer, res in s["results"].items():
            if not res["available"]:
                out.append((s, scorer, "all", None, f"unavailable: {res['reason']}"))
                continue
            if "overall" not in res:
                counts = ", ".join(f"{k} {v}" for k, v in res["predicted"].items())
                out.append((s, scorer, "all", None, f"unlabelled: predicted {counts}"))
                continue
            sp = res["speed"]
            ms = sp["ms_per_text"]
            speed = (
                f"{sp['texts_per_second']:.0f} texts/s; {ms['p50']:.1f} / {ms['p90']:.1f} "
                f"ms per text p50 / p90 (batches of {sp['batch_size']})"
            )
            out.append((s, scorer, "all", res["overall"], speed))
            if len(res["per_lang"]) > 1:
                out += [(s, scorer, lang, m, "") for lang, m in res["per_lang"].items()]
    return out


def _pooled_rows(report: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for scorer, m in report.get("pooled", {}).items():
        out.append((scorer, "all", m))
        by_lang = report.get("pooled_by_lang", {}).get(scorer, {})
        if len(by_lang) > 1:
            out += [(scorer, lang, lm) for lang, lm in by_lang.items()]
    return out


def render_markdown(report: dict[str, Any]) -> str:
    """A Markdown summary: one row per set, scorer and language, unavailable rows with their reason."""
    lines = [f"# slmguard evaluation ({report['date']})", ""]
    if report.get("command"):
        lines += ["Reproduce:", "", "```bash", report["command"], "```", ""]
    if report.get("peak_rss_mb"):
        lines += [f"Peak memory of the run: {report['peak_rss_mb']:.0f} MB.", ""]
    lines += [
        "Binary metrics count the set's positive label (unsafe; sensitive for SQuARe) against the rest at the "
        "operating point; ECE uses 15 equal-mass bins.",
        "",
        "| set | scorer | lang | n | F1 | precision | recall | FPR | AUPRC | ECE | Brier | note |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s, scorer, lang, m, note in _rows(report):
        if m is None:
            lines.append(f"| {s['name']} | {scorer} | {lang} | {s['n']} |" + " – |" * 7 + f" {note} |")
        else:
            vals = " | ".join(fmt(m[k]) for k in METRICS)
            lines.append(f"| {s['name']} | {scorer} | {lang} | {int(m['n'])} | {vals} | {note} |")
    if report.get("pooled"):
        lines += ["", "## All prompt sets pooled (unsafe vs rest)", ""]
        lines += ["| scorer | lang | n | " + " | ".join(HEADERS[k] for k in METRICS) + " |"]
        lines += ["|---|---|---:|" + "---:|" * len(METRICS)]
        for scorer, lang, m in _pooled_rows(report):
            lines.append(f"| {scorer} | {lang} | {int(m['n'])} | " + " | ".join(fmt(m[k]) for k in METRICS) + " |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- SVG charts


def _svg_frame(width: int, height: int, body: list[str], x_label: str, y_label: str, *, y_mid: float = 0) -> str:
    y_mid = y_mid or height / 2
    x_text = f'<text x="{width / 2}" y="{height - 4}" text-anchor="middle">{html.escape(x_label)}</text>'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="11">'
        + "".join(body)
        + (x_text if x_label else "")
        + f'<text x="12" y="{y_mid}" text-anchor="middle" transform="rotate(-90 12 {y_mid})">'
        + f"{html.escape(y_label)}</text></svg>"
    )


def line_chart(
    series: list[tuple[str, list[float], list[float]]],
    *,
    x_label: str,
    y_label: str,
    diagonal: bool = False,
    markers: bool = False,
    size: tuple[int, int] = (360, 280),
) -> str:
    """Lines on [0, 1] x [0, 1] axes, legend below; `diagonal` draws y = x (perfect calibration)."""
    w, plot_h = size
    h = plot_h + 16 * len(series) + 6
    left, right, top, bottom = 42, 10, 10, 34
    pw, ph = w - left - right, plot_h - top - bottom

    def px(x: float, y: float) -> tuple[float, float]:
        return left + x * pw, top + (1 - y) * ph

    body = [f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fff" stroke="#999"/>']
    for t in (0, 0.25, 0.5, 0.75, 1):
        x0, y0 = px(t, t)
        body.append(f'<line x1="{left}" y1="{y0}" x2="{left + pw}" y2="{y0}" stroke="#eee"/>')
        body.append(f'<text x="{left - 4}" y="{y0 + 4}" text-anchor="end">{t:g}</text>')
        body.append(f'<text x="{x0}" y="{top + ph + 13}" text-anchor="middle">{t:g}</text>')
    body.append(f'<text x="{left + pw / 2}" y="{top + ph + 27}" text-anchor="middle">{html.escape(x_label)}</text>')
    if diagonal:
        (ax, ay), (bx, by) = px(0, 0), px(1, 1)
        body.append(f'<line x1="{ax}" y1="{ay}" x2="{bx}" y2="{by}" stroke="#888" stroke-dasharray="4 3"/>')
    for i, (name, xs, ys) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in (px(x, y) for x, y in zip(xs, ys, strict=True)))
        if pts:
            body.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.8" opacity="0.9"/>')
        if markers:
            body += [
                f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="{colour}"/>'
                for a, b in (px(x, y) for x, y in zip(xs, ys, strict=True))
            ]
        ly = plot_h + 10 + 16 * i
        body.append(f'<rect x="{left}" y="{ly - 5}" width="14" height="3" fill="{colour}"/>')
        body.append(f'<text x="{left + 20}" y="{ly}">{html.escape(name)}</text>')
    return _svg_frame(w, h, body, "", y_label, y_mid=top + ph / 2)


def bar_chart(
    groups: list[str], series: list[tuple[str, list[float]]], *, y_label: str, size: tuple[int, int] = (700, 260)
) -> str:
    """Grouped vertical bars on a [0, 1] axis (NaN bars are left out)."""
    w, h = size
    left, right, top, bottom = 42, 10, 24, 40
    pw, ph = w - left - right, h - top - bottom
    body = [f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fff" stroke="#999"/>']
    for t in (0, 0.25, 0.5, 0.75, 1):
        y0 = top + (1 - t) * ph
        body.append(f'<line x1="{left}" y1="{y0}" x2="{left + pw}" y2="{y0}" stroke="#eee"/>')
        body.append(f'<text x="{left - 4}" y="{y0 + 4}" text-anchor="end">{t:g}</text>')
    slot = pw / max(len(groups), 1)
    bw = slot * 0.8 / max(len(series), 1)
    for g, group in enumerate(groups):
        cx = left + slot * (g + 0.5)
        body.append(f'<text x="{cx}" y="{top + ph + 14}" text-anchor="middle">{html.escape(group)}</text>')
        for i, (_, values) in enumerate(series):
            v = values[g]
            if v is None or math.isnan(v):
                continue
            x = left + slot * g + slot * 0.1 + bw * i
            body.append(
                f'<rect x="{x:.1f}" y="{top + (1 - v) * ph:.1f}" width="{bw:.1f}" height="{v * ph:.1f}" '
                f'fill="{COLOURS[i % len(COLOURS)]}"><title>{html.escape(group)}: {v:.3f}</title></rect>'
            )
    for i, (name, _) in enumerate(series):
        lx = left + 8 + 110 * i
        body.append(f'<rect x="{lx}" y="6" width="10" height="10" fill="{COLOURS[i % len(COLOURS)]}"/>')
        body.append(f'<text x="{lx + 14}" y="15">{html.escape(name)}</text>')
    return _svg_frame(w, h, body, "", y_label)


# ---------------------------------------------------------------- HTML

_CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,'Noto Sans','Noto Sans CJK KR',sans-serif;margin:24px auto;
max-width:1250px;color:#222;padding:0 16px}
h1{font-size:24px}h2{font-size:19px;margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left;white-space:nowrap}td.err{white-space:pre-wrap}td.l:last-child{white-space:normal;min-width:260px}
tr.unavail td{color:#888;font-style:italic}tr.lang td{color:#555;background:#fafafa}
.charts{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
.err{max-width:640px;text-align:left;white-space:pre-wrap;word-break:break-word}
code,pre{background:#f6f6f6;padding:2px 5px}pre{padding:8px;overflow-x:auto}
.note{color:#555;font-size:13px}figure{margin:0}figcaption{font-size:13px;font-weight:600;margin-bottom:4px}
"""


def _cells(m: dict[str, Any]) -> str:
    return "".join(f"<td>{fmt(m[k])}</td>" for k in METRICS)


def _summary_table(report: dict[str, Any]) -> str:
    head = "".join(f"<th>{k}</th>" for k in ("n", "F1", "precision", "recall", "FPR", "AUPRC", "ECE", "Brier"))
    out = [f'<table><tr><th class="l">set</th><th class="l">scorer</th><th class="l">lang</th>{head}'
           '<th class="l">note</th></tr>']  # fmt: skip
    for s, scorer, lang, m, note in _rows(report):
        cls = "unavail" if m is None else ("lang" if lang != "all" else "")
        cells = (
            f"<td>{s['n']}</td>" + "<td>–</td>" * 7
            if m is None
            else f"<td>{int(m['n'])}</td>" + "".join(f"<td>{fmt(m[k])}</td>" for k in METRICS)
        )
        out.append(
            f'<tr class="{cls}"><td class="l">{html.escape(s["name"])}</td><td class="l">{html.escape(scorer)}</td>'
            f'<td class="l">{lang}</td>{cells}<td class="l">{html.escape(note)}</td></tr>'
        )
    out.append("</table>")
    return "".join(out)


def _confusion(res: dict[str, Any]) -> str:
    labels = res["confusion"]["labels"]
    rows = "".join(
        f'<tr><th class="l">{g}</th>' + "".join(f"<td>{c}</td>" for c in counts) + "</tr>"
        for g, counts in zip(labels, res["confusion"]["counts"], strict=True)
    )
    return (
        '<table><tr><th class="l">gold \\ predicted</th>'
        + "".join(f"<th>{p}</th>" for p in labels)
        + f"</tr>{rows}</table>"
    )


def _errors(res: dict[str, Any]) -> str:
    parts = []
    for kind, title in (("false_positives", "False positives (highest scores)"),
                        ("false_negatives", "False negatives (lowest scores)")):  # fmt: skip
        items = res["errors"][kind]
        if not items:
            parts.append(f"<p class='note'>{title}: none.</p>")
            continue
        rows = "".join(
            f'<tr><td>{e["score"]:.3f}</td><td class="l">{e["lang"]}</td><td class="l">{html.escape(e["predicted"])}'
            f'</td><td class="err">{html.escape(e["text"])}</td></tr>'
            for e in items
        )
        parts.append(
            f"<h3>{title}</h3><table><tr><th>score</th><th class='l'>lang</th><th class='l'>predicted</th>"
            f"<th class='l'>text</th></tr>{rows}</table>"
        )
    return "".join(parts)


def _set_section(s: dict[str, Any]) -> str:
    ok = {k: r for k, r in s["results"].items() if r["available"] and "overall" in r}
    out = [f"<h2 id='{html.escape(s['name'])}'>{html.escape(s['name'])}</h2>"]
    out.append(
        f"<p class='note'>{html.escape(s['source'])}; {s['task']} classification; positive = {s['positive']}; "
        f"n = {s['n']} ({s['positives']} positive); languages: {', '.join(s['langs'])}. {html.escape(s['note'])}</p>"
    )
    if not ok:
        out += [f"<p class='note'>{html.escape(k)}: {html.escape(r.get('reason', 'unlabelled'))}</p>"
                for k, r in s["results"].items()]  # fmt: skip
        return "".join(out)
    charts = []
    pr = [(k, r["pr_curve"]["recall"], r["pr_curve"]["precision"]) for k, r in ok.items() if r.get("pr_curve")]
    pr = [p for p in pr if p[1]]
    if pr and 0 < s["positives"] < s["n"]:  # with one class only, every threshold has precision 1 or 0
        charts.append(("Precision–recall", line_chart(pr, x_label="recall", y_label="precision")))
    rel = [(k, [b["confidence"] for b in r["reliability"]], [b["observed"] for b in r["reliability"]])
           for k, r in ok.items() if r.get("reliability")]  # fmt: skip
    if rel:
        charts.append(
            (
                "Reliability (15 equal-mass bins)",
                line_chart(
                    rel, x_label="predicted probability", y_label="observed positive rate", diagonal=True, markers=True
                ),
            )
        )
    if charts:
        out.append(
            "<div class='charts'>"
            + "".join(f"<figure><figcaption>{t}</figcaption>{c}</figure>" for t, c in charts)
            + "</div>"
        )
    for name, res in ok.items():
        out.append(f"<h3>{html.escape(name)}: confusion (safe / sensitive / unsafe)</h3>{_confusion(res)}")
        if res.get("per_category"):
            codes = list(res["per_category"])
            series = [(k, [res["per_category"][c][k] for c in codes]) for k in ("precision", "recall", "f1")]
            support = ", ".join(f"{c}: {res['per_category'][c]['support']}" for c in codes)
            out.append(f"<h3>{html.escape(name)}: per category (support {support})</h3>")
            out.append(bar_chart(codes, series, y_label="score", size=(max(360, 90 * len(codes)), 240)))
        out.append(_errors(res))
    return "".join(out)


def render_html(report: dict[str, Any]) -> str:
    """One self-contained page: summary table, then per set PR curves, reliability, categories and errors."""
    scorers = ", ".join(f"{s['name']} ({s['kind']})" for s in report["scorers"])
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>slmguard evaluation {report['date']}</title><style>{_CSS}</style></head><body>",
        f"<h1>slmguard evaluation ({report['date']})</h1>",
        f"<p class='note'>Scorers: {html.escape(scorers)}. Binary metrics count the positive label against the rest "
        "at each scorer's operating point; ECE uses 15 equal-mass bins; Brier is the mean squared error of the "
        "probability.</p>",
    ]
    if report.get("peak_rss_mb"):
        parts.append(f"<p class='note'>Peak memory of the run: {report['peak_rss_mb']:.0f} MB.</p>")
    if report.get("command"):
        parts.append(f"<p>Reproduce:</p><pre>{html.escape(report['command'])}</pre>")
    parts += ["<h2>Summary</h2>", _summary_table(report)]
    if report.get("pooled"):
        rows = "".join(
            f"<tr class='{'' if lang == 'all' else 'lang'}'><td class='l'>{html.escape(k)}</td>"
            f"<td class='l'>{lang}</td><td>{int(m['n'])}</td>{_cells(m)}</tr>"
            for k, lang, m in _pooled_rows(report)
        )
        parts.append(
            "<h3>All prompt sets pooled (unsafe vs rest)</h3><table><tr><th class='l'>scorer</th>"
            "<th class='l'>lang</th><th>n</th>" + "".join(f"<th>{x}</th>" for x in METRICS) + f"</tr>{rows}</table>"
        )
    parts += [_set_section(s) for s in report["sets"]]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_reports(report: dict[str, Any], out_dir: str | Path) -> dict[str, Path]:
    """report.json (every number), report.md (summary) and report.html (charts) under `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "markdown": out / "report.md", "html": out / "report.html"}
    paths["json"].write_text(json.dumps(report, indent=1, ensure_ascii=False, default=float) + "\n", encoding="utf-8")
    paths["markdown"].write_text(render_markdown(report), encoding="utf-8")
    paths["html"].write_text(render_html(report), encoding="utf-8")
    return paths
