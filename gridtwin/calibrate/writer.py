"""Writing a calibrated scenario: plain scenario data, and YAML with where each number came from.

The scenario expresses the fit with what the format has: each type is an urban event that
residents always report at once (``report_probability: 1``, no delay, trust and literacy near
1 so nobody hesitates or fails online), through the channels it came by (the channel-choice
constants fitted to the mixes), dispatched at once to its department, whose staff (cases in
hand at once) take the fitted time to close as handling time — in working hours of the
calendar inferred from the department's closures, or elapsed when it works around the
clock. Hours of the week are each type's profile; cells are a GeoJSON city beside the
scenario whose community populations are the cells' arrival weights.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from gridtwin.calibrate.fit import CHANNELS, MAX_MINUTES, Fit, TypeFit
from gridtwin.calibrate.survival import ParametricFit, spliced_points

__all__ = ["GEOJSON_NAME", "close_time", "handling", "lognormal_sigma", "scenario_data",
           "scenario_yaml"]

GEOJSON_NAME = "city.geojson"
_TALK_S = 60.0
_SIG = 6


def _r(x: float) -> float:
    """``x`` to six significant digits."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    return float(f"{x:.{_SIG}g}")


def close_time(t: TypeFit, mode: str) -> dict[str, Any]:
    """A type's ``handling_min``: spliced Kaplan–Meier points (``km``) or its parametric fit."""
    if mode == "km" and t.km_basis.times.size:
        points = np.minimum(spliced_points(t.km_basis, t.tail) * 60.0, MAX_MINUTES)
        return {"dist": "empirical", "values": [float(f"{v:.4g}") for v in points]}
    return handling(t.chosen)


def handling(fit: ParametricFit | None) -> dict[str, Any]:
    """The engine distribution (minutes) of a fitted time to close (hours), within bounds."""
    if fit is None:
        return {"dist": "fixed", "value": 0}
    if fit.family == "gamma":
        shape = min(max(fit.params["shape"], 1e-4), 1e6)
        scale = min(fit.params["scale_h"] * 60.0, MAX_MINUTES / shape)
        return {"dist": "gamma", "shape": _r(shape), "scale": _r(max(scale, 1e-6))}
    median = min(max(fit.median_h * 60.0, 1e-3), MAX_MINUTES / 10.0)
    sigma = lognormal_sigma(median, fit.params["sigma"])
    mean = median * math.exp(sigma**2 / 2.0)
    sd = mean * math.sqrt(math.expm1(sigma**2))
    return {"dist": "lognormal", "mean": _r(max(mean, 1e-3)), "sd": _r(max(sd, 1e-3))}


def lognormal_sigma(median: float, sigma: float) -> float:
    """The largest log-sd up to ``sigma`` whose mean and sd stay within the engine's bound.

    A heavy tail fitted beyond the log's follow-up can ask for an sd of centuries; the
    scenario keeps the fitted median and thins the tail just enough to be expressible.
    """
    def fits(s: float) -> bool:
        mean = median * math.exp(s * s / 2.0)
        return mean <= MAX_MINUTES and mean * math.sqrt(math.expm1(s * s)) <= MAX_MINUTES

    if fits(sigma):
        return sigma
    lo, hi = 0.0, sigma
    for _ in range(60):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def _residents(fit: Fit) -> int:
    total = sum(t.yearly for t in fit.types)
    return int(max(1000, math.ceil(total / 50.0)))


def _seats(fit: Fit) -> int:
    calls = np.sum([t.rate_per_h * t.profile_168() * t.channel_counts.get("hotline", 0)
                    / max(t.n, 1) for t in fit.types], axis=0)
    peak = max(float(np.max(calls)), 0.0)
    erlangs = peak * _TALK_S / 3600.0
    return int(min(10_000, math.ceil(erlangs + 3 * math.sqrt(erlangs)) + 2))


def scenario_data(fit: Fit, name: str, horizon_days: float, seed: int,
                  arrivals: tuple[float, float] | None = None) -> dict[str, Any]:
    """The calibrated scenario as plain data.

    Args:
        fit: The fitted figures.
        name: The scenario's name.
        horizon_days: Days to simulate.
        seed: The run's seed.
        arrivals: The days (from the engine's day 0, a Monday) between which requests arrive;
            none arrive before (a lead-in to reach the window's weekday) or after (a
            follow-up in which open requests may still close). None: all along.
    """
    residents = _residents(fit)
    profiles = {}
    types = []
    for t in fit.types:
        profiles[t.id] = {"hourly": [_r(v) for v in t.hourly],
                          "weekday": [_r(v) for v in t.weekday]}
        types.append({
            "id": t.id, "kind": "event", "name": t.name, "department": t.department,
            "clarity": 1.0, "not_handleable_share": 0.0,
            "rate_per_resident_year": _r(t.yearly / residents),
            "discoverable_by": ["resident"], "report_probability": 1.0, "report_delay_h": 0,
            "channels": list(t.channels), "patrol_settle_share": 0.0, "profile": t.id,
            "handling_min": close_time(t, fit.close_time),
        })
    departments = {d: {"name": v["agency"], "staff": v["staff"], "calendar": v["calendar"]}
                   for d, v in fit.departments.items()}
    data: dict[str, Any] = {
        "name": name,
        "description": "Calibrated from an observed service-request log (gridtwin calibrate).",
        "city": {"name": name, "geojson": GEOJSON_NAME},
        "population": {"residents": residents, "firms": 0, "age_groups": {
            "adult": {"share": 1.0, "literacy": {"a": 50, "b": 1}, "trust": {"a": 50, "b": 1}}}},
        "departments": departments,
        "services": {"profiles": profiles, "case_types": types},
        "channels": {
            "hotline": {"seats": _seats(fit), "talk_time_s": _TALK_S,
                        "patience_s": {"dist": "fixed", "value": 86400}},
            "consultation": {"enabled": False},
            "portal": {"submit_min": 1, "base_failure": 0.0, "literacy_failure": 0.0},
            "window": {"enabled": False},
            "kiosk": {"enabled": False},
            "patrol": {"enabled": False},
            "photo": {"submit_min": 1, "report_boost": 0.0},
            "sensor": {"enabled": False},
        },
        "policies": {"dispatch_min": 0, "dispatch_accuracy": 1.0},
        "behaviour": {"channel_choice": {"asc": {c: fit.asc.get(c, 0.0) for c in CHANNELS}},
                      "fallback_probability": 1.0},
        "run": {"horizon_days": _r(horizon_days), "warmup_days": 0, "seed": seed},
    }
    if arrivals is not None:
        first, stop = arrivals
        quiet = [(0.0, first), (stop, horizon_days)]
        data["services"]["surges"] = [
            {"start_day": round(a, 6), "end_day": round(b, 6), "factor": 0.0}
            for a, b in quiet if b - a > 1e-6]
    return data


def _flow(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _type_comment(t: TypeFit, fit: Fit) -> list[str]:
    lo, hi = t.rate_ci_per_h
    hours = float(fit.exposure.sum())
    mix = ", ".join(f"{c} {t.channel_counts.get(c, 0) / max(t.n, 1):.0%}" for c in CHANNELS)
    km50, km90 = t.km.quantile(0.5)["value"], t.km.quantile(0.9)["value"]
    aics = ", ".join(f"{k} {v.aic:.1f}" for k, v in t.fits.items())
    if fit.close_time == "km":
        tail = t.tail.family if t.tail else "none"
        how = (f"handling_min = the Kaplan–Meier curve as 200 equal-probability points within "
               f"the follow-up, the {tail} ML fit (lowest AIC: {aics}) beyond it")
    else:
        fam = t.chosen.family if t.chosen else "none"
        how = (f"handling_min = {fam} ML fit with censoring, lowest AIC of those the engine "
               f"has ({aics})")
    out = [f"# {t.name}: {t.n} requests in {hours:.1f} observed hours → "
           f"{t.rate_per_h:.4g}/h (95% CI {lo:.4g}–{hi:.4g}), {t.yearly:,.0f}/yr "
           "(profile-weighted Poisson fit)"]
    if t.id == "other":
        out.append(f"#   groups the rare types: {', '.join(t.members[:8])}"
                   + (" ..." if len(t.members) > 8 else ""))
    out.append(f"#   channels counted: {mix}; department: the agency with most of its requests "
               f"({t.agency})")
    out.append(f"#   time to close: Kaplan–Meier p50 {_h(km50)}, p90 {_h(km90)} "
               "(censored at the snapshot)")
    out.append(f"#   {how}; in {t.basis}")
    return out


def _h(x: float | None) -> str:
    return "beyond follow-up" if x is None else f"{x:.1f} h"


def scenario_yaml(data: dict[str, Any], fit: Fit, provenance: list[str]) -> str:
    """The scenario as YAML, each number with a comment on where it came from."""
    lines = ["# " + "=" * 97, "# Calibrated scenario written by `gridtwin calibrate`."]
    lines += [f"# {p}" for p in provenance]
    lines += [
        "# Every number below was fitted to the training period of the log named above (no",
        "# personal data: only types, agencies, channels, times and cells were read). The",
        "# format expresses the fit as: urban events reported at once by residents through the",
        "# channels they used, dispatched at once, handled by their department for the fitted",
        "# time to close; cells are city.geojson, whose community populations are arrival weights.",
        "# " + "=" * 97, "",
        f"name: {_flow(data['name'])}",
        f"description: {_flow(data['description'])}", "",
        "city:",
        f"  name: {_flow(data['city']['name'])}",
        f"  geojson: {GEOJSON_NAME}        # cells: see fit.json 'cells' (requests per cell + "
        "0.5 as arrival weights)", "",
        "population:",
        f"  residents: {data['population']['residents']}   # nominal: the rates below are per "
        "these residents (their total is what was fitted)",
        "  firms: 0",
        "  age_groups:             # one group, trust and literacy near 1: every request is "
        "reported and no online attempt fails",
        f"    adult: {_flow(data['population']['age_groups']['adult'])}", "",
        "departments:             # staff = cases in hand at once (Little's law over the week, "
        "square-root staffing); calendars from when each closes requests",
    ]
    for did, d in data["departments"].items():
        f = fit.departments[did]
        lines.append(f"  {did}:")
        lines.append(f"    name: {_flow(d['name'])}")
        lines.append(f"    staff: {d['staff']}   # L = {f['work_in_progress']:.1f} on average, "
                     f"{f['work_in_progress_peak']:.1f} at peak; observed {f['arrivals_per_h']:.3g}"
                     f" arrivals/h, {f['closures_per_h']:.3g} closures/h")
        lines.append(f"    calendar: {_flow(d['calendar'])}   # {f['calendar_label']}: "
                     f"{f['calendar_reason']}")
    lines += ["", "services:", "  profiles:               # hourly × weekday, fitted to the "
              "hours observed (unobserved ones: the mean)"]
    for pid, p in data["services"]["profiles"].items():
        lines.append(f"    {pid}:")
        lines.append(f"      hourly: {_flow(p['hourly'])}")
        lines.append(f"      weekday: {_flow(p['weekday'])}")
    lines.append("  case_types:")
    for t, ct in zip(fit.types, data["services"]["case_types"], strict=True):
        lines += ["    " + c for c in _type_comment(t, fit)]
        first = True
        for key, value in ct.items():
            prefix = "    - " if first else "      "
            first = False
            lines.append(f"{prefix}{key}: {_flow(value)}")
    if data["services"].get("surges"):
        lines.append(f"  surges: {_flow(data['services']['surges'])}   # no arrivals outside "
                     "the period compared")
    ch = data["channels"]
    lines += ["", "channels:               # intake never the bottleneck: ample seats, no "
              "hang-ups, no online failures",
              f"  hotline: {_flow(ch['hotline'])}   # seats: peak calls × {_TALK_S:.0f} s, "
              "square-root staffing"]
    for k in ("consultation", "portal", "window", "kiosk", "patrol", "photo", "sensor"):
        lines.append(f"  {k}: {_flow(ch[k])}")
    mix = ", ".join(f"{c} {v:.1%}" for c, v in fit.channel_mix.items())
    lines += ["", "policies:", "  dispatch_min: 0          # the log's time to close includes "
              "dispatch", "  dispatch_accuracy: 1.0", "",
              "behaviour:", "  channel_choice:",
              f"    asc: {_flow(data['behaviour']['channel_choice']['asc'])}   # fitted to the "
              f"per-type mixes (overall: {mix})",
              "  fallback_probability: 1.0", "",
              "run:",
              f"  horizon_days: {data['run']['horizon_days']}",
              "  warmup_days: 0",
              f"  seed: {data['run']['seed']}", ""]
    return "\n".join(lines)



