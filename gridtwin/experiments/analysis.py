"""Analysing a store: policy means, paired comparisons, robustness, regret, sensitivity.

Everything here reads the store's tables (``experiment``, ``points``, ``runs``) into pandas and
returns plain tables, so the report, the terminal and the viewer show the same numbers:

- **summary**: per policy and outcome, the mean over every succeeded run (replications and
  futures) with its 95% confidence interval;
- **paired**: per policy and outcome, the mean of the paired differences ``policy - baseline``
  over the runs that share a future and a replication (hence the same random numbers), its
  interval, whether it excludes zero and the paired differences a given half-width needs;
- **robustness**: per policy and outcome, the share of futures in which the policy's mean beats
  the baseline's, and its regret (the distance to the best policy of each future: mean, max);
- **sensitivity**: Morris μ*, σ or Sobol S1, ST with confidence intervals, computed by SALib's
  analyzers from the design's own sample, when the design is ``morris`` or ``sobol``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import yaml

from gridtwin.experiments.design import build_design
from gridtwin.experiments.spec import Direction, Experiment
from gridtwin.experiments.stats import mean_ci, paired_ci, replications_needed

__all__ = ["Analysis", "BaselineError", "analyse", "outcome_values", "resolve_baseline"]


class BaselineError(ValueError):
    """A ``--baseline`` that names no policy of the experiment."""


@dataclass(frozen=True)
class Analysis:
    """The tables of a report."""

    experiment: Experiment
    name: str
    runs: int
    failed: int
    policies: pd.DataFrame
    """One row per policy: ``policy`` and its lever values."""
    baseline: int
    summary: pd.DataFrame
    paired: pd.DataFrame
    robustness: pd.DataFrame
    sensitivity: pd.DataFrame | None
    half_width: float
    """Relative half-width (of the baseline's mean) the ``needed`` column is computed for."""


def outcome_values(runs: pd.DataFrame, name: str) -> pd.Series:
    """An outcome per run: a KPI column, or a value inside a nested (JSON) KPI."""
    top, _, rest = name.partition(".")
    if top not in runs.columns:
        return pd.Series(np.nan, index=runs.index)
    col = runs[top]
    if not rest:
        return pd.to_numeric(col, errors="coerce")

    def dig(text: Any) -> float:
        if not isinstance(text, str):
            return math.nan
        value: Any = json.loads(text)
        for part in rest.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return float(value) if isinstance(value, int | float) else math.nan

    return col.map(dig).astype(float)


def resolve_baseline(text: str | None, spec: Experiment, policies: pd.DataFrame) -> int:
    """The policy number a ``--baseline`` names: a point's policy, lever values, or the file's.

    Args:
        text: ``None`` (the file's ``baseline:`` or else policy 0), a point number, or
            ``path=value[,path=value...]`` lever values.
        spec: The experiment.
        policies: The policy table.

    Raises:
        BaselineError: If no policy matches.
    """
    points = policies.attrs.get("points")
    if text is not None and text.strip().isdigit():
        point = int(text)
        if points is None or point not in points:
            raise BaselineError(f"--baseline {text}: no such design point")
        return int(points[point])
    wanted: dict[str, Any] = dict(spec.baseline)
    if text is not None:
        wanted = {}
        for item in text.split(","):
            path, eq, value = item.partition("=")
            if not eq or path.strip() not in spec.levers:
                levers = ", ".join(spec.levers)
                raise BaselineError(
                    f"--baseline {text}: give a point number or lever=value items "
                    f"(levers: {levers})"
                )
            wanted[path.strip()] = yaml.safe_load(value)
    if not wanted:
        return int(policies["policy"].min())
    mask = pd.Series(True, index=policies.index)
    for path, value in wanted.items():
        col = policies[path]
        if isinstance(value, int | float) and not isinstance(value, bool):
            mask &= np.isclose(pd.to_numeric(col, errors="coerce"), float(value))
        else:
            mask &= col.astype(str) == str(value)
    if not mask.any():
        raise BaselineError(f"baseline {wanted}: no policy of the experiment has these values")
    return int(policies.loc[mask, "policy"].iloc[0])


def _better(direction: Direction, a: float, b: float) -> bool:
    return a < b if direction is Direction.MIN else a > b


def analyse(
    con: duckdb.DuckDBPyConnection, baseline: str | None = None, half_width: float = 0.05
) -> Analysis:
    """Every table of the report, from an open store.

    Args:
        con: The store.
        baseline: See :func:`resolve_baseline`.
        half_width: Relative half-width (share of the baseline's mean) for ``needed``.
    """
    name, text = con.execute("SELECT name, text FROM experiment").fetchall()[0]
    spec = Experiment.model_validate(yaml.safe_load(text))
    runs_all = con.sql("SELECT * FROM runs ORDER BY run_id").df()
    points = con.sql("SELECT * FROM points ORDER BY point").df()
    runs = runs_all[runs_all["status"] == "succeeded"].copy()
    levers = list(spec.levers)
    policies = points.drop_duplicates("policy")[["policy", *levers]].reset_index(drop=True)
    policies.attrs["points"] = dict(zip(points["point"], points["policy"], strict=True))
    base = resolve_baseline(baseline, spec, policies)
    for o in spec.outcomes:
        runs[o] = outcome_values(runs, o)
    summary, paired, robust = [], [], []
    for o, direction in spec.outcomes.items():
        # a sampling design may draw one policy and future twice: their mean per replication
        by_pfr = runs.groupby(["policy", "future", "replication"])[o].mean()
        base_runs = by_pfr.xs(base, level="policy") if base in runs["policy"].values else None
        base_mean = float(base_runs.mean()) if base_runs is not None else math.nan
        hw = abs(base_mean) * half_width if math.isfinite(base_mean) and base_mean else None
        future_means = runs.groupby(["future", "policy"])[o].mean().unstack("policy")
        for p in policies["policy"]:
            values = runs.loc[runs["policy"] == p, o]
            ci = mean_ci(values.to_numpy())
            summary.append(
                {"policy": p, "outcome": o, "mean": ci.mean, "low": ci.low, "high": ci.high,
                 "n": ci.n}
            )
            if p in future_means.columns:
                col = future_means[p]
                best = future_means.min(axis=1) if direction is Direction.MIN else (
                    future_means.max(axis=1))
                regret = (col - best).abs()
                beats = (
                    [_better(direction, float(col[f]), float(future_means.loc[f, base]))
                     for f in future_means.index
                     if base in future_means.columns and np.isfinite(col[f])
                     and np.isfinite(future_means.loc[f, base])]
                )
                robust.append(
                    {"policy": p, "outcome": o,
                     "share_beating_baseline": (float(np.mean(beats)) if beats and p != base
                                                else math.nan),
                     "futures": len(beats), "mean_regret": float(regret.mean()),
                     "max_regret": float(regret.max())}
                )
            if p == base or base_runs is None:
                continue
            other = by_pfr.xs(p, level="policy")
            common = other.index.intersection(base_runs.index)
            a = base_runs.loc[common].to_numpy(dtype=float)
            b = other.loc[common].to_numpy(dtype=float)
            ok = np.isfinite(a) & np.isfinite(b)
            d = paired_ci(a[ok], b[ok])
            paired.append(
                {"policy": p, "outcome": o, "diff": d.mean, "low": d.low, "high": d.high,
                 "n": d.n, "excludes_zero": d.excludes_zero,
                 "better": d.excludes_zero and _better(direction, d.mean, 0.0),
                 "needed": (replications_needed(b[ok] - a[ok], hw) if hw else None)}
            )
    sensitivity = _sensitivity(spec, runs)
    return Analysis(
        spec, name, len(runs_all), int((runs_all["status"] == "failed").sum()), policies, base,
        pd.DataFrame(summary), pd.DataFrame(paired), pd.DataFrame(robust), sensitivity,
        half_width,
    )


def _sensitivity(spec: Experiment, runs: pd.DataFrame) -> pd.DataFrame | None:
    method = spec.design.method
    if method not in ("sobol", "morris"):
        return None
    design = build_design(spec)
    assert design.problem is not None and design.unit_sample is not None
    rows = []
    for o in spec.outcomes:
        per_point = runs.groupby("point")[o].mean().reindex(range(len(design.points)))
        y = per_point.to_numpy(dtype=float)
        if not np.isfinite(y).all():
            y = np.where(np.isfinite(y), y, np.nanmean(y))  # a failed point: the mean
        if not np.isfinite(y).all():
            continue
        if method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(design.problem, y, calc_second_order=False, seed=1)
            for i, f in enumerate(design.problem["names"]):
                rows.append(
                    {"outcome": o, "factor": f, "S1": res["S1"][i], "S1_conf": res["S1_conf"][i],
                     "ST": res["ST"][i], "ST_conf": res["ST_conf"][i]}
                )
        else:
            from SALib.analyze import morris

            levels = getattr(spec.design, "levels", 4)
            res = morris.analyze(
                design.problem, design.unit_sample, y, num_levels=levels, seed=1
            )
            for i, f in enumerate(design.problem["names"]):
                rows.append(
                    {"outcome": o, "factor": f, "mu_star": res["mu_star"][i],
                     "mu_star_conf": res["mu_star_conf"][i], "sigma": res["sigma"][i]}
                )
    return pd.DataFrame(rows)
