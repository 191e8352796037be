"""Writing an analysis: Markdown, a self-contained HTML page (inline SVG), a terminal table.

The HTML page needs no internet: its charts are inline SVG drawn here (each outcome's policy
means with their 95% intervals, the baseline marked), its style is inline.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from gridtwin.experiments.analysis import Analysis
from gridtwin.kpiformat import format_value, kpi_leaf

__all__ = ["markdown", "html_page", "print_summary", "write_report"]


def _fmt(outcome: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format_value(kpi_leaf(outcome), float(value))


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _policy_names(a: Analysis) -> dict[int, str]:
    levers = list(a.experiment.levers)
    names = {}
    for _, row in a.policies.iterrows():
        parts = [f"{k.split('.')[-1]}={_num(row[k])}" for k in levers]
        names[int(row["policy"])] = ", ".join(parts) or "(no levers)"
    return names


def _table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _sections(a: Analysis) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """(title, note, headers, rows) of every table of the report."""
    names = _policy_names(a)
    base = names.get(a.baseline, str(a.baseline))
    out = []
    s = a.summary
    rows = [
        [str(r.policy), names[r.policy], r.outcome, _fmt(r.outcome, r.mean),
         f"[{_fmt(r.outcome, r.low)}, {_fmt(r.outcome, r.high)}]", str(r.n)]
        for r in s.itertuples()
    ]
    out.append(("Policies: mean and 95% confidence interval",
                "Over every succeeded run of the policy (replications and futures).",
                ["policy", "levers", "outcome", "mean", "95% CI", "runs"], rows))
    if not a.paired.empty:
        pct = f"{a.half_width:.0%}"
        rows = [
            [str(r.policy), names[r.policy], r.outcome, _num(r.diff),
             f"[{_num(r.low)}, {_num(r.high)}]", "yes" if r.excludes_zero else "no",
             "better" if r.better else ("worse" if r.excludes_zero else "-"), str(r.n),
             "-" if r.needed is None or pd.isna(r.needed) else str(int(r.needed))]
            for r in a.paired.itertuples()
        ]
        out.append((f"Paired comparison with the baseline ({base})",
                    "Differences policy - baseline over runs sharing a future and a replication "
                    "(common random numbers). 'needed': paired runs for a 95% interval of "
                    f"half-width {pct} of the baseline's mean.",
                    ["policy", "levers", "outcome", "mean diff", "95% CI", "excludes 0",
                     "verdict", "pairs", "needed"], rows))
    if not a.robustness.empty:
        rows = [
            [str(r.policy), names[r.policy], r.outcome,
             "-" if pd.isna(r.share_beating_baseline) else f"{r.share_beating_baseline:.0%}",
             str(r.futures), _num(r.mean_regret), _num(r.max_regret)]
            for r in a.robustness.itertuples()
        ]
        out.append(("Robustness across futures and regret",
                    "Share of futures in which the policy's mean beats the baseline's; regret: "
                    "distance to the best policy of each future (mean and worst).",
                    ["policy", "levers", "outcome", "beats baseline", "futures",
                     "mean regret", "max regret"], rows))
    if a.sensitivity is not None and not a.sensitivity.empty:
        sens = a.sensitivity
        if "S1" in sens.columns:
            rows = [[r.outcome, r.factor, f"{r.S1:.3f} ± {r.S1_conf:.3f}",
                     f"{r.ST:.3f} ± {r.ST_conf:.3f}"] for r in sens.itertuples()]
            out.append(("Sobol sensitivity indices (SALib)",
                        "First-order S1 and total ST with 95% confidence half-widths, from the "
                        "mean over replications of each design point.",
                        ["outcome", "factor", "S1", "ST"], rows))
        else:
            rows = [[r.outcome, r.factor, f"{r.mu_star:.4g} ± {r.mu_star_conf:.3g}",
                     f"{r.sigma:.4g}"] for r in sens.itertuples()]
            out.append(("Morris elementary effects (SALib)",
                        "μ* (mean absolute effect, with its 95% confidence half-width) and σ.",
                        ["outcome", "factor", "μ*", "σ"], rows))
    return out


def _header(a: Analysis) -> str:
    e = a.experiment
    return (
        f"Scenario `{e.scenario}`, design `{e.design.method}`, {e.replications} replication(s) "
        f"per point, seed {e.seed}; {a.runs} runs stored, {a.failed} failed."
    )


def markdown(a: Analysis) -> str:
    """The report as Markdown."""
    parts = [f"# Experiment report: {a.name}", "", _header(a), ""]
    for title, note, headers, rows in _sections(a):
        parts += [f"## {title}", "", note, "", _table(headers, rows), ""]
    return "\n".join(parts)


def _svg(a: Analysis, outcome: str) -> str:
    """Policy means and intervals of one outcome as an inline SVG chart."""
    s = a.summary[a.summary["outcome"] == outcome]
    names = _policy_names(a)
    vals = [v for v in [*s["low"], *s["high"], *s["mean"]] if isinstance(v, float)
            and math.isfinite(v)]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    width, left, row = 640, 230, 22
    height = row * len(s) + 30

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (width - left - 20)

    items = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{html.escape(outcome)}">']
    for i, r in enumerate(s.itertuples()):
        y = 15 + i * row
        colour = "#c0392b" if r.policy == a.baseline else "#2c3e50"
        label = html.escape(names[r.policy])
        items.append(f'<text x="4" y="{y + 4}" font-size="11">{label}</text>')
        if math.isfinite(r.low) and math.isfinite(r.high):
            items.append(f'<line x1="{x(r.low):.1f}" x2="{x(r.high):.1f}" y1="{y}" y2="{y}" '
                         f'stroke="{colour}" stroke-width="2"/>')
        if math.isfinite(r.mean):
            items.append(f'<circle cx="{x(r.mean):.1f}" cy="{y}" r="4" fill="{colour}"/>')
    axis = height - 8
    items.append(f'<text x="{left}" y="{axis}" font-size="10">{_fmt(outcome, lo)}</text>')
    items.append(f'<text x="{width - 90}" y="{axis}" font-size="10">{_fmt(outcome, hi)}</text>')
    items.append("</svg>")
    return "".join(items)


def html_page(a: Analysis) -> str:
    """The report as one self-contained HTML page (no script, no external resource)."""
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}"
        "figure{margin:1em 0}figcaption{font-weight:bold;font-size:13px}"
    )
    body = [f"<h1>Experiment report: {html.escape(a.name)}</h1>",
            f"<p>{html.escape(_header(a)).replace('`', '')}</p>", "<h2>Outcomes by policy</h2>",
            "<p>Mean and 95% confidence interval; the baseline in red.</p>"]
    for o, d in a.experiment.outcomes.items():
        body.append(f"<figure><figcaption>{html.escape(o)} ({d.value} is better)"
                    f"</figcaption>{_svg(a, o)}</figure>")
    for title, note, headers, rows in _sections(a):
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        cells = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
        )
        body.append(f"<h2>{html.escape(title)}</h2><p>{html.escape(note)}</p>"
                    f"<table><tr>{head}</tr>{cells}</table>")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(a.name)}"
            f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def write_report(a: Analysis, out_dir: str | Path) -> list[Path]:
    """Write ``report.md`` and ``report.html`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, page = out / "report.md", out / "report.html"
    md.write_text(markdown(a), encoding="utf-8")
    page.write_text(html_page(a), encoding="utf-8")
    return [md, page]


def print_summary(console: Console, a: Analysis) -> None:
    """A short table: each policy's mean of each outcome, and its paired verdict."""
    names = _policy_names(a)
    t = Table(title=f"{a.name}: baseline {names.get(a.baseline, a.baseline)}")
    t.add_column("policy")
    outcomes = list(a.experiment.outcomes)
    for o in outcomes:
        t.add_column(o, justify="right")
    paired = {(r.policy, r.outcome): r for r in a.paired.itertuples()}
    for p, name in names.items():
        cells = []
        for o in outcomes:
            m = a.summary[(a.summary["policy"] == p) & (a.summary["outcome"] == o)]
            text = _fmt(o, float(m["mean"].iloc[0])) if len(m) else "-"
            r = paired.get((p, o))
            if r is not None and r.excludes_zero:
                text += " (better)" if r.better else " (worse)"
            cells.append(text)
        t.add_row(f"{p}: {name}" + (" *" if p == a.baseline else ""), *cells)
    console.print(t)
