"""Fitting a scenario's numbers to a cleaned log's training period.

- **Arrivals.** Per case type (types with fewer than ``min_count`` requests grouped as
  ``other``): a Poisson rate with an exact 95% interval and an hour-of-week profile
  ``hourly[h] × weekday[d]`` fitted to the counts over the hours actually observed (a
  multiplicative Poisson model fitted by alternating updates on all types pooled; each type's
  hourly shape shrunk towards the pooled one by 24 pseudo-requests; hours and weekdays never
  observed take the mean of those observed). Per cell: counts plus half a request (smoothing
  sparse cells) as arrival weights.
- **Channels.** Counted per type, mapped to gridtwin's channels; the scenario's channel-choice
  constants are fitted so that the per-type mixes the engine produces come closest to these.
- **Time to close.** Per type (and per type and agency in the fit report): Kaplan–Meier and
  log-normal, Weibull and gamma maximum-likelihood fits with right-censoring
  (:mod:`gridtwin.calibrate.survival`).
- **Staffing.** Per department (the agency handling most of a type's requests): Little's law
  ``L = Σ rate × mean time to close`` work in progress (the mean restricted to the log's
  follow-up, the area under the Kaplan–Meier curve: a heavy tail fitted beyond what was
  observed does not inflate it); its peak over the week is that of the requests in hand with
  time-varying arrivals (M_t/G/∞: the hour-of-week rates convolved with the curve), staffed
  by the square-root rule ``L + 3 √L + 1`` so that queueing adds almost nothing to the time
  to close. Staff here are cases in hand at once
  (the log has no head counts).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from scipy import optimize, stats

from gridtwin.calibrate.calendars import WorkCalendar, infer_calendar
from gridtwin.calibrate.holidays import us_federal_holidays
from gridtwin.calibrate.importer import RequestLog
from gridtwin.calibrate.mappings import INTAKE_CHANNELS
from gridtwin.calibrate.survival import (
    KaplanMeier,
    ParametricFit,
    fit_parametric,
    kaplan_meier,
)

__all__ = ["HOURS_PER_YEAR", "Fit", "TypeFit", "fit_log", "hour_of_week", "identifier"]

HOURS_PER_YEAR = 8760.0
SHRINK = 24.0
"""Pseudo-requests pulling a type's hourly shape towards the pooled one."""
CELL_PRIOR = 0.5
"""Requests added to every cell's count (smoothing for sparse cells)."""
MIN_CHANNEL_SHARE = 0.05
"""A type offers a channel in the scenario if at least this share of it came that way."""
MAX_STAFF = 100_000
MAX_MINUTES = 1e7
ENGINE_FAMILIES = ("lognormal", "gamma")
"""The families a scenario can express as a distribution of its own (Weibull is fitted and
reported, and may serve as the tail beyond the follow-up)."""
CLOSE_TIME_MODES = ("km", "parametric")
"""How a scenario expresses time to close: ``km`` (default) the Kaplan–Meier quantiles within
the log's follow-up and the best-fitting parametric tail beyond it, as an empirical
distribution of 200 equal-probability points; ``parametric`` the best-fitting log-normal or
gamma distribution alone."""
CHANNELS = tuple(c.value for c in INTAKE_CHANNELS)


def identifier(label: str, taken: set[str], prefix: str = "t") -> str:
    """A scenario identifier (``[a-z][a-z0-9_]*``, at most 60 characters) for a label."""
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:56] or prefix
    if not base[0].isalpha():
        base = f"{prefix}_{base}"[:56]
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def hour_of_week(local_seconds: np.ndarray | float) -> np.ndarray:
    """Hour of the week, Monday 00:00 = 0, of local clock times (epoch seconds)."""
    return (np.floor(np.asarray(local_seconds) / 3600.0).astype(np.int64) + 72) % 168


@dataclass
class TypeFit:
    """What was fitted for one case type."""

    id: str
    name: str
    members: list[str]
    department: str
    agency: str
    n: int
    rate_per_h: float
    rate_ci_per_h: tuple[float, float]
    hourly: np.ndarray
    weekday: np.ndarray
    channel_counts: dict[str, int]
    channel_raw_counts: dict[str, int]
    channels: list[str]
    km: KaplanMeier
    """Elapsed hours from created to closed."""
    km_basis: KaplanMeier
    """Hours in the scenario's terms: elapsed, or working hours of the department's calendar."""
    basis: str
    fits: dict[str, ParametricFit]
    """Parametric fits on :attr:`km_basis`'s durations."""
    chosen: ParametricFit | None
    """The best of the families the engine has (AIC): the ``parametric`` mode's distribution."""
    tail: ParametricFit | None
    """The best of all families (AIC): the ``km`` mode's tail beyond the follow-up."""
    by_agency: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def yearly(self) -> float:
        """Expected requests per year."""
        return self.rate_per_h * HOURS_PER_YEAR

    def profile_168(self) -> np.ndarray:
        """Hour-of-week weights with mean 1."""
        w = np.outer(self.weekday, self.hourly).ravel()
        return w / w.mean()


@dataclass
class Fit:
    """Every fitted figure of a training period."""

    types: list[TypeFit]
    departments: dict[str, dict[str, Any]]
    asc: dict[str, float]
    channel_mix: dict[str, float]
    channel_mix_raw: dict[str, float]
    cell_counts: np.ndarray
    cell_weights: np.ndarray
    type_cell_rates: dict[str, dict[str, float]]
    exposure: np.ndarray
    """Hours observed of each hour of the week (168)."""
    start_local: float
    end_local: float
    censor_utc: float
    pooled_hourly: np.ndarray
    observed_peak_hour: int
    holidays: list[dict[str, Any]]
    type_of: dict[str, str]
    """Original type label → case type id."""
    n: int
    close_time: str = "km"
    """How the scenario expresses time to close (one of :data:`CLOSE_TIME_MODES`)."""

    def type_index(self, labels: np.ndarray) -> np.ndarray:
        """Index into :attr:`types` of each original label (unknown labels: ``other`` or -1)."""
        ids = [t.id for t in self.types]
        other = ids.index("other") if "other" in ids else -1
        pos = {label: ids.index(tid) for label, tid in self.type_of.items()}
        return np.array([pos.get(lbl, other) for lbl in labels], dtype=np.int64)


def _exposure(start: float, end: float) -> np.ndarray:
    """Hours of each hour of the week within ``[start, end)`` (local epoch seconds)."""
    e = np.zeros(168)
    h0, h1 = int(math.floor(start / 3600)), int(math.ceil(end / 3600))
    for h in range(h0, h1):
        overlap = min(end, (h + 1) * 3600.0) - max(start, h * 3600.0)
        if overlap > 0:
            e[(h + 72) % 168] += overlap / 3600.0
    return e


def _pooled_profile(counts: np.ndarray, expo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multiplicative Poisson fit ``hourly[h] × weekday[d]`` over observed hours."""
    n2, e2 = counts.reshape(7, 24) + 0.1 * expo.reshape(7, 24), expo.reshape(7, 24)
    a, b = np.ones(24), np.ones(7)
    hours_seen, days_seen = e2.sum(axis=0) > 0, e2.sum(axis=1) > 0
    for _ in range(60):
        den = (b[:, None] * e2).sum(axis=0)
        a = np.where(hours_seen, n2.sum(axis=0) / np.where(hours_seen, den, 1.0), np.nan)
        a = np.where(np.isnan(a), np.nanmean(a), a)
        den = (a[None, :] * e2).sum(axis=1)
        b = np.where(days_seen, n2.sum(axis=1) / np.where(days_seen, den, 1.0), np.nan)
        b = np.where(np.isnan(b), np.nanmean(b), b)
    return a / a.mean(), b / b.mean()


def _type_hourly(counts: np.ndarray, expo: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    e2 = expo.reshape(7, 24)
    c = counts.reshape(7, 24).sum(axis=0)
    d = (b[:, None] * e2).sum(axis=0)
    seen = d > 0
    share = a * d / (a * d).sum()
    raw = np.where(seen, (c + SHRINK * share) / np.where(seen, d, 1.0), 0.0)
    level = raw[seen].sum() / a[seen].sum() if seen.any() else 1.0
    out = np.where(seen, raw, a * level)
    return np.asarray(out / out.mean() if out.mean() > 0 else np.ones(24))


def _survival(log: RequestLog, censor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                        np.ndarray]:
    """Durations (h), observed flags, the usable mask and end times (UTC), censored at ``censor``.

    ``censor`` is a UTC time.
    """
    usable = log.usable_close & (log.created < censor)
    closed = np.where(np.isnan(log.closed), np.inf, log.closed)
    observed = usable & (closed <= censor)
    end = np.where(observed, closed, censor)
    return (end - log.created) / 3600.0, observed, usable, end


def _fit_durations(d: np.ndarray, e: np.ndarray) -> tuple[KaplanMeier, dict[str, ParametricFit]]:
    km = kaplan_meier(d, e)
    fits = {}
    for fam in ("lognormal", "weibull", "gamma"):
        f = fit_parametric(d, e, fam)
        if f is not None:
            fits[fam] = f
    return km, fits


def _choose(fits: dict[str, ParametricFit], all_families: bool = False) -> ParametricFit | None:
    families = tuple(fits) if all_families else ENGINE_FAMILIES
    usable = [fits[f] for f in families if f in fits and math.isfinite(fits[f].aic)]
    return min(usable, key=lambda f: f.aic) if usable else None


def _in_service(t: TypeFit) -> np.ndarray:
    """Expected requests in hand in each hour of the week (M_t/G/∞ with the KM curve)."""
    area = t.km.hourly_area()
    folded = np.zeros(168)
    np.add.at(folded, np.arange(area.size) % 168, area)
    lam = t.rate_per_h * t.profile_168()
    return np.real(np.fft.ifft(np.fft.fft(lam) * np.fft.fft(folded)))


def _asc(types: list[TypeFit]) -> dict[str, float]:
    """Channel-choice constants whose restricted logit best matches each type's mix."""
    free = [c for c in CHANNELS if c != "hotline"]

    def loss(theta: np.ndarray) -> float:
        u = dict(zip(free, theta, strict=True)) | {"hotline": 0.0}
        total = 0.0
        for t in types:
            ex = np.exp([u[c] for c in t.channels])
            p = dict(zip(t.channels, ex / ex.sum(), strict=True))
            obs = sum(t.channel_counts.values()) or 1
            total += t.n * sum((p.get(c, 0.0) - t.channel_counts.get(c, 0) / obs) ** 2
                               for c in CHANNELS)
        return total

    res = optimize.minimize(loss, np.zeros(len(free)), method="Nelder-Mead")
    theta = np.clip(res.x, -20, 20)
    return {"hotline": 0.0} | {c: round(float(v), 4) for c, v in zip(free, theta, strict=True)}


def _holidays(log: RequestLog) -> list[dict[str, Any]]:
    days = np.floor(log.created_local / 86400.0).astype(np.int64)
    counts = Counter(days.tolist())
    out = []
    full = sorted(counts)[1:-1] or sorted(counts)  # first and last days may be partial
    for day in sorted(counts):
        d = datetime.fromtimestamp(day * 86400.0, UTC).date()
        name = us_federal_holidays(d.year).get(d)
        if name:
            others = [counts[k] for k in full if k != day]
            out.append({"date": d.isoformat(), "holiday": name, "requests": counts[day],
                        "mean_other_days": float(np.mean(others)) if others else None})
    return out


def fit_log(log: RequestLog, cells: np.ndarray, n_cells: int, cell_ids: list[str],
            start_local: float, end_local: float, censor_utc: float,
            min_count: int = 30, close_time: str = "km", calendars: bool = True) -> Fit:
    """Fit the training period.

    Args:
        log: The training requests (created in ``[start_local, end_local)``).
        cells: Each request's cell index (-1: none).
        n_cells: Number of cells.
        cell_ids: The cells' ids.
        start_local: Start of the training period (local clock, epoch seconds).
        end_local: Its end (local clock).
        censor_utc: Closures after this UTC time are not known (right-censoring).
        min_count: Types with fewer requests are grouped as ``other``.
        close_time: How the scenario will express time to close (:data:`CLOSE_TIME_MODES`).
        calendars: Infer departments' working hours from their closures
            (:mod:`gridtwin.calibrate.calendars`); False: around the clock.
    """
    labels = [str(t) for t in log.type]
    counts = Counter(labels)
    keep = sorted((lbl for lbl, n in counts.items() if n >= min_count and lbl),
                  key=lambda lbl: -counts[lbl])
    taken: set[str] = {"other"}
    type_of = {lbl: identifier(lbl, taken) for lbl in keep}
    rare = sorted(lbl for lbl in counts if lbl not in type_of)
    for lbl in rare:
        type_of[lbl] = "other"
    group = np.array([type_of[lbl] for lbl in labels], dtype=object)
    ids = [type_of[lbl] for lbl in keep] + (["other"] if rare else [])
    expo = _exposure(start_local, end_local)
    how = hour_of_week(log.created_local)
    pooled = np.bincount(how, minlength=168).astype(float)
    a, b = _pooled_profile(pooled, expo)
    durations, observed, usable, end_utc = _survival(log, censor_utc)
    close_local = end_utc + log.offset
    calendar_of: dict[str, WorkCalendar] = {}
    for agency in sorted({str(x) for x in log.agency}):
        rows = log.agency == agency
        calendar_of[agency] = (infer_calendar(log.created_local[rows],
                                              np.where(observed[rows], close_local[rows], np.nan))
                               if calendars else WorkCalendar(True, reason="not inferred"))
    dept_taken: set[str] = set()
    dept_of: dict[str, str] = {}
    types: list[TypeFit] = []
    for tid in ids:
        m = group == tid
        n = int(m.sum())
        hourly = _type_hourly(np.bincount(how[m], minlength=168).astype(float), expo, a, b)
        w = np.outer(b, hourly).ravel()
        w = w / w.mean()
        denom = float((w * expo).sum())
        rate = n / denom
        lo = stats.chi2.ppf(0.025, 2 * n) / 2 / denom if n else 0.0
        hi = stats.chi2.ppf(0.975, 2 * n + 2) / 2 / denom
        agencies = Counter(str(x) for x in log.agency[m])
        agency = agencies.most_common(1)[0][0]
        if agency not in dept_of:
            dept_of[agency] = identifier(agency, dept_taken, "d")
        ch = Counter(str(x) for x in log.channel[m])
        raw = Counter(str(x) or "(none)" for x in log.channel_raw[m])
        offered = [c for c in CHANNELS if ch.get(c, 0) >= MIN_CHANNEL_SHARE * n] or [
            ch.most_common(1)[0][0]]
        sel = m & usable
        km = kaplan_meier(durations[sel], observed[sel])
        cal = calendar_of[agency]
        basis = durations if cal.always else cal.working_hours(log.created_local, close_local)
        km_basis, fits = _fit_durations(basis[sel], observed[sel])
        by_agency = {}
        for ag, k in agencies.items():
            s2 = sel & (log.agency == ag)
            if k >= 10 and s2.sum() >= 10:
                km2 = kaplan_meier(durations[s2], observed[s2])
                ln = fit_parametric(durations[s2], observed[s2], "lognormal")
                by_agency[ag] = {"n": int(s2.sum()), "p50_h": km2.quantile(0.5),
                                 "p90_h": km2.quantile(0.9),
                                 "lognormal": ln.as_dict() if ln else None}
        members = [lbl for lbl in keep if type_of[lbl] == tid] if tid != "other" else rare
        name = members[0] if tid != "other" else f"other types ({len(rare)})"
        types.append(TypeFit(
            id=tid, name=name, members=members,
            department=dept_of[agency], agency=agency, n=n, rate_per_h=rate,
            rate_ci_per_h=(float(lo), float(hi)), hourly=hourly, weekday=b.copy(),
            channel_counts=dict(ch), channel_raw_counts=dict(raw), channels=offered, km=km,
            km_basis=km_basis, basis="elapsed" if cal.always else f"working hours ({cal.label()})",
            fits=fits, chosen=_choose(fits), tail=_choose(fits, all_families=True),
            by_agency=by_agency))
    fallback = _choose(_fit_durations(durations[usable], observed[usable])[1])
    for t in types:
        if t.chosen is None:
            t.chosen = fallback
        if t.tail is None:
            t.tail = fallback
    departments: dict[str, dict[str, Any]] = {}
    in_window = (log.closed >= log.created.min()) & (log.closed < censor_utc)
    hours = max(float(expo.sum()), 1e-9)
    for agency, did in dept_of.items():
        mine = [t for t in types if t.department == did]
        work = sum(t.rate_per_h * t.km.restricted_mean() for t in mine)
        peak = float(np.sum([_in_service(t) for t in mine], axis=0).max()) if mine else 0.0
        staff = int(min(MAX_STAFF, math.ceil(peak + 3 * math.sqrt(peak)) + 1))
        handled = {lbl for t in mine for lbl in t.members}
        rows = np.array([lbl in handled for lbl in labels])
        departments[did] = {
            "agency": agency, "staff": staff, "calendar": calendar_of[agency].spec(),
            "calendar_label": calendar_of[agency].label(),
            "calendar_reason": calendar_of[agency].reason, "work_in_progress": work,
            "work_in_progress_peak": peak, "utilisation": work / staff,
            "arrivals_per_h": float(rows.sum() / hours),
            "closures_per_h": float((rows & in_window).sum() / hours),
            "types": [t.id for t in mine]}
    cell_counts = np.bincount(cells[cells >= 0], minlength=n_cells).astype(float)
    weights = cell_counts + CELL_PRIOR
    type_cell: dict[str, dict[str, float]] = {}
    for t in types:
        m = (group == t.id) & (cells >= 0)
        tc = np.bincount(cells[m], minlength=n_cells).astype(float)
        sm = (tc + 10.0 * weights / weights.sum()) / (tc.sum() + 10.0)
        type_cell[t.id] = {cell_ids[i]: round(float(t.yearly * sm[i]), 3)
                           for i in np.nonzero(tc)[0]}
    ch_all = Counter(str(x) for x in log.channel)
    raw_all = Counter(str(x) or "(none)" for x in log.channel_raw)
    return Fit(
        types=types, departments=departments, asc=_asc(types),
        channel_mix={c: ch_all.get(c, 0) / len(log) for c in CHANNELS},
        channel_mix_raw={k: v / len(log) for k, v in raw_all.most_common()},
        cell_counts=cell_counts, cell_weights=weights, type_cell_rates=type_cell,
        exposure=expo, start_local=start_local, end_local=end_local, censor_utc=censor_utc,
        pooled_hourly=a, observed_peak_hour=int(np.argmax(np.bincount(how % 24, minlength=24))),
        holidays=_holidays(log), type_of=type_of, n=len(log), close_time=close_time)
