"""``fit.json``: every fitted figure and validation error as numbers, and plain statements.

Top-level keys (a contract): ``hourly_arrivals_mape`` (held-out hours: ``overall`` and
``by_type`` for types with enough requests), ``hourly_arrivals_chi2`` (statistic, df,
p-value, dispersion) and ``hourly_arrivals_r2``, ``time_to_close`` (observed vs simulated
p50 and p90 per type with intervals, held out), ``rates``, ``channel_mix``, ``staffing``,
``cleaning``, ``seed`` and ``versions``; the rest is detail (``time_to_close_fit``,
``profiles``, ``cells``, ``holidays``, ``validation``, ``backtest``, ``statements``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

import gridtwin
from gridtwin.calibrate.cells import CellSet
from gridtwin.calibrate.cleaning import CleaningReport
from gridtwin.calibrate.fit import HOURS_PER_YEAR, Fit, hour_of_week

if TYPE_CHECKING:
    from gridtwin.calibrate.pipeline import Options

__all__ = ["clean_numbers", "fit_json", "statements", "summary_rows"]


def clean_numbers(x: Any) -> Any:
    """Plain JSON data: numpy values as Python ones, NaN and infinities as None."""
    if isinstance(x, dict):
        return {str(k): clean_numbers(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [clean_numbers(v) for v in x]
    if isinstance(x, np.ndarray):
        return clean_numbers(x.tolist())
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        v = float(x)
        return v if math.isfinite(v) else None
    return x


def fit_json(fit: Fit, cleaning: CleaningReport, cells: CellSet,
             results: dict[str, dict[str, Any]], opts: Options, mapping: str,
             versions: dict[str, str]) -> dict[str, Any]:
    """The content of ``fit.json``."""
    held = results["held_out"]
    ttc = {}
    for key, v in held["time_to_close"].items():
        ttc[key] = {q: {"observed": v["observed"][q], "simulated": v["simulated"][q]}
                    for q in ("p50", "p90")}
        ttc[key]["observed_n"] = v["observed"]["n"]
        ttc[key]["observed_censored"] = v["observed"]["censored"]
    rates = {}
    for t in fit.types:
        lo, hi = t.rate_ci_per_h
        rates[t.id] = {
            "name": t.name, "members": t.members, "requests": t.n, "department": t.department,
            "agency": t.agency, "per_hour": t.rate_per_h, "per_hour_ci": [lo, hi],
            "per_year": t.yearly, "per_year_ci": [lo * HOURS_PER_YEAR, hi * HOURS_PER_YEAR],
            "peak_hour": int(np.argmax(t.hourly)),
        }
    mix_by_type = {t.id: {"counts": t.channel_counts, "raw_counts": t.channel_raw_counts,
                          "shares": {c: n / max(t.n, 1) for c, n in t.channel_counts.items()},
                          "offered_in_scenario": t.channels} for t in fit.types}
    out = {
        "gridtwin_version": gridtwin.__version__,
        "versions": versions,
        "seed": opts.seed,
        "replications": opts.replications,
        "close_time": fit.close_time,
        "log": {"file": opts.log.name, "mapping": mapping, "rows_read": cleaning.rows_read,
                "rows_kept": cleaning.rows_kept},
        "hourly_arrivals_mape": held["hourly_arrivals_mape"],
        "hourly_arrivals_chi2": held["hourly_arrivals_chi2"],
        "hourly_arrivals_r2": held["hourly_arrivals_r2"],
        "time_to_close": ttc,
        "rates": rates,
        "rates_per_cell": fit.type_cell_rates,
        "channel_mix": {"overall": fit.channel_mix, "overall_raw": fit.channel_mix_raw,
                        "by_type": mix_by_type, "choice_constants": fit.asc},
        "staffing": fit.departments,
        "cleaning": cleaning.as_dict(),
        "time_to_close_fit": {t.id: {
            "kaplan_meier": {"p50": t.km.quantile(0.5), "p90": t.km.quantile(0.9),
                             "n": t.km.n, "closed": t.km.events,
                             "restricted_mean_h": t.km.restricted_mean()},
            "basis": t.basis,
            "kaplan_meier_basis": {"p50": t.km_basis.quantile(0.5),
                                   "p90": t.km_basis.quantile(0.9)},
            "fits": {k: v.as_dict() for k, v in t.fits.items()},
            "in_scenario": ("kaplan_meier" if fit.close_time == "km" and t.km_basis.times.size
                            else t.chosen.family if t.chosen else None),
            "best_parametric": t.chosen.family if t.chosen else None,
            "tail_beyond_follow_up": t.tail.family if t.tail else None,
            "by_agency": t.by_agency} for t in fit.types},
        "profiles": {t.id: {"hourly": t.hourly, "weekday": t.weekday} for t in fit.types},
        "pooled_hourly_profile": fit.pooled_hourly,
        "observed_peak_hour": fit.observed_peak_hour,
        "holidays": fit.holidays,
        "cells": {"source": cells.source, "count": len(cells.ids),
                  "requests": dict(zip(cells.ids, fit.cell_counts.tolist(), strict=True)),
                  "weights": dict(zip(cells.ids, fit.cell_weights.tolist(), strict=True)),
                  "centroids": dict(zip(cells.ids, cells.centroids.tolist(), strict=True))},
        "validation": held,
        "backtest": results["training"],
    }
    return clean_numbers(out)


def _fmt(x: float | None, unit: str = " h") -> str:
    return "beyond follow-up" if x is None else f"{x:.1f}{unit}"


def statements(fit: Fit, results: dict[str, dict[str, Any]]) -> list[str]:
    """Plain sentences on where the twin reproduces the held-out data and where it is off."""
    held = results["held_out"]
    out = []
    tot = held["total"]
    mape = held["hourly_arrivals_mape"]["overall"]
    chi = held["hourly_arrivals_chi2"]
    out.append(
        f"Held-out arrivals: observed {tot['observed']:.0f}, the twin {tot['simulated_mean']:.0f} "
        f"on average over {held['replications']} replications (expected {tot['expected']:.0f})."
    )
    if mape is not None:
        out.append(
            f"Hour by hour the twin is off by {mape:.0%} on average (MAPE); chi-square "
            f"{chi['statistic']:.1f} on {chi['df']} hours (p = {chi['p_value']:.3g}, "
            f"dispersion {chi['dispersion']:.2f}: "
            + ("about Poisson noise" if chi["dispersion"] < 2 else
               "more than Poisson noise: the fitted profile misses some of the hour-to-hour "
               "variation") + ")."
        )
    seen = fit.exposure > 0
    hours = held["window"]["hours"]
    if hours:
        unseen = 0
        for h in range(hours):
            unseen += int(not seen[int(hour_of_week(_local(held, h)))])
        if unseen:
            out.append(f"{unseen} of the {hours} held-out hours are hours of the week never seen "
                       "in training: their profile is the mean of the hours seen.")
    for key, label in (("type", "type"), ("channel", "channel")):
        tvd = held["mix"][key]["tvd"]
        out.append(f"Mix by {label}: total variation distance {tvd:.3f} between observed and "
                   "simulated shares" + (" (close)." if tvd < 0.05 else "."))
    for key, v in held["time_to_close"].items():
        for q in ("p50", "p90"):
            o, s = v["observed"][q], v["simulated"][q]
            who = "all requests" if key == "all" else key
            if (o["value"] is None) != (s["mean"] is None):
                out.append(f"Time to close {q} of {who}: observed {_fmt(o['value'])}, the twin "
                           f"{_fmt(s['mean'])} (one side beyond the follow-up).")
                continue
            if o["value"] is None or s["mean"] is None:
                continue
            ratio = s["mean"] / o["value"] if o["value"] > 0 else math.inf
            if not 0.75 <= ratio <= 1.33:
                out.append(f"Time to close {q} of {who}: observed {_fmt(o['value'])}, the twin "
                           f"{_fmt(s['mean'])}: off by a factor {ratio:.2g}.")
    return out


def _local(held: dict[str, Any], h: int) -> float:
    start = datetime.fromisoformat(held["window"]["start"]).replace(tzinfo=UTC)
    return start.timestamp() + 3600.0 * h


def summary_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """The key figures as (name, value) rows for the command's table."""
    mape = figures["hourly_arrivals_mape"]
    chi = figures["hourly_arrivals_chi2"]
    rows = [("requests kept / read", f"{figures['log']['rows_kept']:,} / "
             f"{figures['log']['rows_read']:,}"),
            ("case types fitted", str(len(figures["rates"]))),
            ("hourly arrivals MAPE (held out)", "-" if mape["overall"] is None
             else f"{mape['overall']:.1%}"),
            ("chi-square / df (p-value)", f"{chi['statistic']:.1f} / {chi['df']} "
             f"({chi['p_value']:.3g})")]
    r2 = figures["hourly_arrivals_r2"]
    rows.append(("R² hourly arrivals", "-" if r2 is None else f"{r2:.3f}"))
    allq = figures["time_to_close"].get("all")
    if allq:
        for q in ("p50", "p90"):
            o, s = allq[q]["observed"], allq[q]["simulated"]
            rows.append((f"time to close {q}: observed vs twin",
                         f"{_fmt(o['value'])} [{_fmt(o['low'], '')}–{_fmt(o['high'], '')}] vs "
                         f"{_fmt(s['mean'])} [{_fmt(s['low'], '')}–{_fmt(s['high'], '')}]"))
    tvd = figures["validation"]["mix"]
    rows.append(("mix distance type / channel",
                 f"{tvd['type']['tvd']:.3f} / {tvd['channel']['tvd']:.3f}"))
    return rows
