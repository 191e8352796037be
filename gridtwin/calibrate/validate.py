"""Validation: simulate a period with the calibrated twin and compare it with what was observed.

The twin fitted on the training period is run (through :func:`gridtwin.run`, with
replications) over a window of the log — the held-out period after ``--train-until``, or the
training period itself for the back-test — with arrivals stopped at the window's end and a
follow-up during which open cases may still close. Observed and simulated requests are then
compared on the same footing:

- arrivals by hour: the mean absolute percentage error (MAPE) of the replications' mean
  against the observed counts (overall and per type with enough requests), Pearson's
  chi-square of the observed counts against the fitted intensity (with its p-value and the
  dispersion ``chi2 / df``: 1 for a Poisson process as fitted) and R²;
- mix by type and by channel (shares, and the total variation distance);
- time to close p50 and p90: Kaplan–Meier on both sides with the same censoring (the end of
  the follow-up or the log's snapshot, whichever is first); observed with the Kaplan–Meier
  interval, simulated with the Student-t interval over replications.
"""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

import gridtwin
from gridtwin.calibrate.cells import CellSet
from gridtwin.calibrate.fit import CHANNELS, Fit, hour_of_week
from gridtwin.calibrate.importer import RequestLog
from gridtwin.calibrate.survival import kaplan_meier
from gridtwin.calibrate.writer import GEOJSON_NAME, scenario_data
from gridtwin.experiments.stats import mean_ci
from gridtwin.scenarios.loader import scenario_from_data

__all__ = ["MIN_TYPE_REQUESTS", "Window", "compare", "local_iso"]

MIN_TYPE_REQUESTS = 30
"""Types with fewer requests in a window get no MAPE or quantiles of their own."""


@dataclass(frozen=True)
class Window:
    """A stretch of the log to simulate and compare (times on the local clock, epoch s)."""

    label: str
    start: float
    """First hour compared (whole hour)."""
    end: float
    """End of the hours compared (whole hour)."""
    follow_until: float
    """End of the simulation (arrivals stop at ``end``)."""

    @property
    def hours(self) -> int:
        """Whole hours compared."""
        return int(round((self.end - self.start) / 3600.0))


def local_iso(local: float) -> str:
    """A local clock time (epoch seconds) as ISO 8601 without an offset."""
    return datetime.fromtimestamp(local, UTC).replace(tzinfo=None).isoformat(timespec="minutes")


def _simulate(fit: Fit, cells: CellSet, window: Window, seed: int, replications: int,
              progress: Callable[[float], None] | None) -> list[dict[str, np.ndarray]]:
    """Replications of the window: per case its type, reported and closed (local epoch s)."""
    day = math.floor(window.start / 86400.0)
    midnight = (day - (day + 3) % 7) * 86400.0  # the Monday before: the engine's day 0
    horizon = (window.follow_until - midnight) / 86400.0
    data = scenario_data(fit, f"validation_{window.label}", horizon, seed,
                         ((window.start - midnight) / 86400.0, (window.end - midnight) / 86400.0))
    out = []
    with tempfile.TemporaryDirectory(prefix="gridtwin-calibrate-") as tmp:
        base = Path(tmp)
        cells.write_geojson(base / GEOJSON_NAME, fit.cell_weights, data["name"])
        scenario = scenario_from_data(data, base_dir=base, label="the calibrated scenario")
        for i in range(replications):
            def step(frac: float, i: int = i) -> None:
                if progress is not None:
                    progress((i + frac) / replications)

            result = gridtwin.run(scenario, seed=seed + i, progress=step, base_dir=base,
                                  allow_large=True)
            t = result.cases
            reported = t.column("reported").to_numpy(zero_copy_only=False)
            closed = t.column("closed").to_numpy(zero_copy_only=False)
            out.append({
                "type": np.asarray(t.column("type").cast("string").to_pylist(), dtype=object),
                "channel": np.asarray(t.column("channel").cast("string").to_pylist(),
                                      dtype=object),
                "reported": midnight + reported * 60.0,
                "closed": midnight + closed * 60.0,
            })
    return out


def _quantiles(d: np.ndarray, e: np.ndarray) -> dict[str, Any]:
    km = kaplan_meier(d, e)
    return {"p50": km.quantile(0.5), "p90": km.quantile(0.9), "n": int(d.size),
            "censored": int((~e).sum())}


def _sim_quantiles(values: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in ("p50", "p90"):
        v = [x[q]["value"] for x in values]
        finite = [x for x in v if x is not None]
        ci = mean_ci(finite)
        out[q] = {"mean": None if math.isnan(ci.mean) else ci.mean,
                  "low": None if math.isnan(ci.low) else max(ci.low, 0.0),
                  "high": None if math.isnan(ci.high) else ci.high,
                  "replications_beyond_follow_up": len(v) - len(finite)}
    return out


def _mape(obs: np.ndarray, sim: np.ndarray) -> float | None:
    m = obs > 0
    return float(np.mean(np.abs(obs[m] - sim[m]) / obs[m])) if m.any() else None


def _tvd(a: dict[str, float], b: dict[str, float]) -> float:
    keys = set(a) | set(b)
    return 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in keys)


def _shares(values: np.ndarray) -> dict[str, float]:
    c = Counter(str(v) for v in values)
    n = sum(c.values()) or 1
    return {k: v / n for k, v in sorted(c.items())}


def compare(fit: Fit, log: RequestLog, cells: CellSet, window: Window, seed: int,
            replications: int, progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """Simulate ``window`` and compare it with the log's requests created in it.

    Args:
        fit: The fitted figures (from the training period).
        log: The whole cleaned log.
        cells: The cells (written as the simulated city).
        window: What to compare.
        seed: Seed of the first replication (the others follow it).
        replications: How many.
        progress: Called with the fraction done.

    Returns:
        The figures (see the module docstring), plain data for ``fit.json``.
    """
    hours = window.hours
    sims = _simulate(fit, cells, window, seed, replications, progress)
    offset = log.offset
    censor_local = min(log.snapshot + offset, window.follow_until)
    inwin = (log.created_local >= window.start) & (log.created_local < window.end)
    obs_type = fit.type_index(log.type[inwin])
    ids = [t.id for t in fit.types]
    obs_h = np.floor((log.created_local[inwin] - window.start) / 3600.0).astype(int)
    expected = np.zeros((len(ids), hours))
    how = hour_of_week(window.start + 3600.0 * np.arange(hours))
    for k, t in enumerate(fit.types):
        expected[k] = t.rate_per_h * t.profile_168()[how]
    observed = np.zeros((len(ids), hours))
    valid = obs_type >= 0
    np.add.at(observed, (obs_type[valid], obs_h[valid]), 1.0)
    simulated = np.zeros((len(sims), len(ids), hours))
    sim_q: dict[str, list[dict[str, Any]]] = {tid: [] for tid in [*ids, "all"]}
    sim_types, sim_channels = [], []
    for r, s in enumerate(sims):
        m = (s["reported"] >= window.start) & (s["reported"] < window.end)
        pos = {tid: k for k, tid in enumerate(ids)}
        tix = np.array([pos[x] for x in s["type"][m]], dtype=int)
        hix = np.floor((s["reported"][m] - window.start) / 3600.0).astype(int)
        np.add.at(simulated[r], (tix, hix), 1.0)
        sim_types.append(s["type"][m])
        sim_channels.append(s["channel"][m])
        closed = s["closed"][m]
        done = np.isfinite(closed) & (closed <= censor_local)
        dur = (np.where(done, closed, censor_local) - s["reported"][m]) / 3600.0
        for tid in ids:
            sel = s["type"][m] == tid
            if sel.sum() >= MIN_TYPE_REQUESTS:
                sim_q[tid].append(_quantiles(dur[sel], done[sel]))
        sim_q["all"].append(_quantiles(dur, done))
    sim_mean = simulated.mean(axis=0)
    # every held-out request counts, a type never seen in training (and no 'other') included
    o_all = np.bincount(obs_h, minlength=hours)[:hours].astype(float)
    s_all, e_all = sim_mean.sum(axis=0), expected.sum(axis=0)
    chi2 = float(((o_all - e_all) ** 2 / np.maximum(e_all, 1e-9)).sum())
    ss_tot = float(((o_all - o_all.mean()) ** 2).sum())
    mape_types = {}
    for k, tid in enumerate(ids):
        if observed[k].sum() >= MIN_TYPE_REQUESTS:
            mape_types[tid] = _mape(observed[k], sim_mean[k])
    # time to close, observed with the same censoring
    usable = log.usable_close[inwin]
    created = log.created_local[inwin][usable]
    closed_local = log.closed[inwin][usable] + offset
    done = np.isfinite(closed_local) & (closed_local <= censor_local)
    dur = (np.where(done, closed_local, censor_local) - created) / 3600.0
    otype = obs_type[usable]
    ttc: dict[str, Any] = {"all": {"observed": _quantiles(dur, done),
                                   "simulated": _sim_quantiles(sim_q["all"])}}
    for k, tid in enumerate(ids):
        sel = otype == k
        if sel.sum() >= MIN_TYPE_REQUESTS and len(sim_q[tid]) == len(sims):
            ttc[tid] = {"observed": _quantiles(dur[sel], done[sel]),
                        "simulated": _sim_quantiles(sim_q[tid])}
    obs_mix_t = _shares(np.array([ids[i] if i >= 0 else "(not in training)" for i in obs_type]))
    sim_mix_t = _shares(np.concatenate(sim_types)) if sim_types else {}
    obs_mix_c = _shares(log.channel[inwin])
    sim_mix_c = _shares(np.concatenate(sim_channels)) if sim_channels else {}
    return {
        "window": {"start": local_iso(window.start), "end": local_iso(window.end), "hours": hours,
                   "follow_up_until": local_iso(window.follow_until),
                   "censored_at": local_iso(censor_local), "requests": int(inwin.sum())},
        "replications": len(sims),
        "hourly": {"observed": o_all.tolist(), "simulated_mean": s_all.round(4).tolist(),
                   "expected": e_all.round(4).tolist(),
                   "simulated_low": np.quantile(simulated.sum(axis=1), 0.05, axis=0).tolist(),
                   "simulated_high": np.quantile(simulated.sum(axis=1), 0.95, axis=0).tolist()},
        "hourly_arrivals_mape": {"overall": _mape(o_all, s_all), "by_type": mape_types,
                                 "overall_vs_expected": _mape(o_all, e_all)},
        "hourly_arrivals_chi2": {"statistic": chi2, "df": hours,
                                 "p_value": float(stats.chi2.sf(chi2, hours)),
                                 "dispersion": chi2 / max(hours, 1)},
        "hourly_arrivals_r2": (1.0 - float(((o_all - s_all) ** 2).sum()) / ss_tot
                               if ss_tot > 0 else None),
        "total": {"observed": float(o_all.sum()), "simulated_mean": float(s_all.sum()),
                  "expected": float(e_all.sum())},
        "mix": {"type": {"observed": obs_mix_t, "simulated": sim_mix_t,
                         "tvd": _tvd(obs_mix_t, sim_mix_t)},
                "channel": {"observed": obs_mix_c, "simulated": sim_mix_c,
                            "tvd": _tvd(obs_mix_c, sim_mix_c)}},
        "time_to_close": ttc,
        "channels": list(CHANNELS),
    }
