"""The Compare page's data: policies paired by seed, differences with intervals, who wins.

The KPIs that are compared and their formatting are those of ``gridtwin compare``
(:func:`~gridtwin.kpiformat.compare_kpis`); the intervals are paired over replications
(:func:`~gridtwin.experiments.stats.paired_ci`), which common random numbers make narrow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from gridtwin.experiments.stats import Interval, mean_ci, paired_ci
from gridtwin.kpiformat import compare_kpis, format_difference, format_value, kpi_leaf
from gridtwin.viz.cards import Better, better_of
from gridtwin.viz.data import Batch

__all__ = [
    "Difference",
    "comparable_keys",
    "difference_chart",
    "differences",
    "distribution_chart",
    "distribution_frame",
    "pairing_problem",
    "wins_table",
]


@dataclass(frozen=True, slots=True)
class Difference:
    """One KPI of a policy against the baseline, paired over replications."""

    key: str
    policy: str
    base: Interval
    other: Interval
    diff: Interval
    """``other - base``, paired by replication."""
    better: Better

    @property
    def verdict(self) -> str:
        """``better``, ``worse``, ``changed`` or ``no clear difference`` (the CI spans zero)."""
        d = self.diff
        if d.n < 2 or math.isnan(d.low) or not d.excludes_zero:
            return "no clear difference"
        if self.better is Better.NEITHER:
            return "changed"
        up = d.low > 0
        return "better" if up == (self.better is Better.HIGHER) else "worse"

    def row(self) -> dict[str, object]:
        """The difference as a table row (numbers and text)."""
        leaf = kpi_leaf(self.key)
        d = self.diff
        return {
            "KPI": self.key,
            "policy": self.policy,
            "baseline": format_value(leaf, self.base.mean),
            "policy value": format_value(leaf, self.other.mean),
            "difference": format_difference(leaf, 0.0, d.mean),
            "95% CI low": d.low,
            "95% CI high": d.high,
            "mean difference": d.mean,
            "replications": d.n,
            "verdict": self.verdict,
        }


def pairing_problem(batches: Sequence[Batch]) -> str | None:
    """Why the batches cannot be paired by replication, or None if they can."""
    if len(batches) < 2:
        return "pick at least two runs: a baseline and one or more policies"
    seeds = batches[0].seeds
    for b in batches[1:]:
        if b.seeds != seeds:
            return (
                f"'{b.label}' ran seeds {list(b.seeds)} but the baseline ran {list(seeds)}: "
                "run both with the same seed and replications to pair them"
            )
    if len(seeds) < 2:
        return "one replication each: differences need at least two to have an interval"
    return None


def comparable_keys(batches: Sequence[Batch]) -> list[str]:
    """Numeric outcome KPIs present in every batch, in the order ``gridtwin compare`` uses."""
    first = batches[0].results[0].kpis
    rows = compare_kpis(first, first)
    keys = [r.key for r in rows if r.difference is not None]
    return [k for k in keys if all(not math.isnan(b.values(k)[0]) for b in batches)]


def differences(batches: Sequence[Batch], keys: Sequence[str]) -> list[Difference]:
    """Each policy (``batches[1:]``) against the baseline (``batches[0]``), per KPI."""
    base = batches[0]
    out = []
    for other in batches[1:]:
        for key in keys:
            a, b = base.values(key), other.values(key)
            diff = paired_ci(a, b)
            out.append(Difference(key, other.label, mean_ci(a), mean_ci(b), diff, better_of(key)))
    return out


def wins_table(diffs: Sequence[Difference]) -> pd.DataFrame:
    """Per KPI, which policy does best against the baseline (only clear differences count)."""
    rows = []
    for key in dict.fromkeys(d.key for d in diffs):
        mine = [d for d in diffs if d.key == key]
        good = [d for d in mine if d.verdict == "better"]
        bad = [d for d in mine if d.verdict == "worse"]
        if good:
            sign = 1 if good[0].better is Better.HIGHER else -1
            best = max(good, key=lambda d: sign * d.diff.mean)
            winner = best.policy
        elif bad and len(bad) == len(mine):
            winner = "baseline"
        else:
            winner = "no clear winner"
        rows.append(
            {
                "KPI": key,
                "better is": mine[0].better.value,
                "wins": winner,
                "better than baseline": ", ".join(d.policy for d in good) or "-",
                "worse than baseline": ", ".join(d.policy for d in bad) or "-",
            }
        )
    return pd.DataFrame(rows)


def difference_chart(diffs: Sequence[Difference]) -> go.Figure:
    """Paired differences with their 95% intervals, one panel row per KPI and policy."""
    fig = go.Figure()
    for policy in dict.fromkeys(d.policy for d in diffs):
        mine = [d for d in diffs if d.policy == policy]
        fig.add_trace(
            go.Scatter(
                x=[d.diff.mean for d in mine],
                y=[d.key for d in mine],
                mode="markers",
                name=policy,
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [d.diff.high - d.diff.mean for d in mine],
                    "arrayminus": [d.diff.mean - d.diff.low for d in mine],
                },
            )
        )
    fig.add_vline(x=0, line_dash="dash", line_color="#888")
    fig.update_layout(
        title="Policy minus baseline (paired by seed, 95% CI)",
        template="plotly_white",
        height=max(300, 60 + 40 * len({d.key for d in diffs})),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h"},
    )
    return fig


def distribution_frame(batches: Sequence[Batch], key: str) -> pd.DataFrame:
    """One KPI per replication of every batch: run, replication, seed, value."""
    rows = []
    for b in batches:
        for i, (seed, value) in enumerate(zip(b.seeds, b.values(key), strict=True)):
            rows.append(
                {
                    "run": b.label,
                    "replication": i,
                    "seed": seed,
                    "scenario_sha256": b.sha256,
                    "gridtwin_version": b.results[0].kpis["gridtwin_version"],
                    key: value,
                }
            )
    return pd.DataFrame(rows)


def distribution_chart(frame: pd.DataFrame, key: str) -> go.Figure:
    """A box with every replication's point, per run."""
    fig = go.Figure()
    for run, rows in frame.groupby("run", sort=False):
        fig.add_trace(go.Box(y=rows[key], name=str(run), boxpoints="all", jitter=0.3))
    fig.update_layout(
        title=f"{key} across replications",
        template="plotly_white",
        height=360,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        showlegend=False,
    )
    return fig
