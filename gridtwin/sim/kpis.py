"""Outcome figures of a run (the "three rates" and the rest), computed from its records.

Every figure covers the cases that arose after the warm-up; staff utilisation covers the
staff time after the warm-up. Definitions are in the README's KPI glossary; the functions here
are pure: arrays in, numbers out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import SupportsFloat

import numpy as np

from gridtwin.scenarios.calendar import WeeklyCalendar
from gridtwin.scenarios.schema import CaseKind, ChannelKind
from gridtwin.sim.cases import Outcome, Stage
from gridtwin.vocab import AGE_GROUPS, CHANNEL_ORDER

__all__ = ["KpiInputs", "busy_minutes", "compute_kpis", "rate", "rounded"]

ONLINE = (CHANNEL_ORDER.index(ChannelKind.PORTAL), CHANNEL_ORDER.index(ChannelKind.PHOTO))


@dataclass(frozen=True, slots=True)
class KpiInputs:
    """What the KPIs are computed from."""

    cases: dict[str, np.ndarray]
    events: dict[str, np.ndarray]
    type_kinds: Sequence[CaseKind]
    resident_age: np.ndarray
    department_ids: Sequence[str]
    department_staff: Sequence[int]
    department_calendars: Sequence[WeeklyCalendar]
    warmup: float
    horizon: float
    response_limit_min: float
    type_ids: Sequence[str] = ()
    trust: np.ndarray | None = None
    """Mean trust per age group then over everyone, ``(hours + 1, groups + 1)``: at the start,
    then at the end of each hour."""
    department_capacity_min: Sequence[float] = ()
    """Per department: staff-minutes on duty after the warm-up, shifts and surge staff
    included (empty: ``staff`` × the calendar's open minutes)."""


def rate(num: SupportsFloat, den: SupportsFloat) -> float | None:
    """``num / den`` rounded to 6 places, or None when there is nothing to divide."""
    return round(float(num) / float(den), 6) if den else None


def rounded(x: SupportsFloat) -> float:
    """A figure as ``kpis.json`` writes it: rounded to 6 places."""
    return round(float(x), 6)


def _mean(x: np.ndarray) -> float | None:
    return round(float(np.mean(x)), 6) if len(x) else None


def _finite(x: float) -> float | None:
    return round(float(x), 6) if np.isfinite(x) else None


def _quantile(x: np.ndarray, q: float) -> float | None:
    return round(float(np.quantile(x, q)), 6) if len(x) else None


def busy_minutes(
    starts: np.ndarray, ends: np.ndarray, cal: WeeklyCalendar, a: float, b: float
) -> float:
    """Open minutes of ``cal`` covered by the intervals, clipped to ``[a, b)``."""
    s = np.clip(starts, a, b)
    e = np.clip(ends, a, b)
    return float(np.sum(cal.cumulative_array(e) - cal.cumulative_array(s)))


def _group(c: dict[str, np.ndarray], mask: np.ndarray, limit: float) -> dict[str, float | None]:
    """The rates of one group of cases (an age group, a case type)."""
    out = c["outcome"][mask]
    ended = np.isin(out, (Outcome.RESOLVED, Outcome.CLOSED_UNRESOLVED, Outcome.ABANDONED))
    rated = c["rating"][mask] >= 0
    reported = c["reported"][mask] >= 0
    responded = (c["responded"][mask] >= 0) & (c["responded"][mask] - c["reported"][mask] <= limit)
    return {
        "cases": int(mask.sum()),
        "response_rate": rate((responded & reported).sum(), reported.sum()),
        "resolution_rate": rate((out == Outcome.RESOLVED).sum(), ended.sum()),
        "satisfaction_rate": rate((c["rating"][mask] == 1).sum(), rated.sum()),
        "satisfaction_all_rate": rate(
            (c["satisfied"][mask] == 1).sum(), (c["satisfied"][mask] >= 0).sum()
        ),
        "complaints": int(c["complaint"][mask].sum()),
        "online_share": rate(np.isin(c["channel"][mask], ONLINE).sum(), reported.sum()),
    }


def compute_kpis(k: KpiInputs) -> dict[str, object]:
    """All outcome figures but the provenance ones, in a stable key order."""
    c, ev = k.cases, k.events
    win = c["arise"] >= k.warmup
    out = c["outcome"]
    kinds = np.array([kind.value for kind in k.type_kinds])[c["type_index"]]
    total = int(win.sum())
    resolved = int((win & (out == Outcome.RESOLVED)).sum())
    unresolved = int((win & (out == Outcome.CLOSED_UNRESOLVED)).sum())
    abandoned = int((win & (out == Outcome.ABANDONED)).sum())
    still_open = int((win & (out == Outcome.OPEN)).sum())

    closed = (
        win & np.isin(out, (Outcome.RESOLVED, Outcome.CLOSED_UNRESOLVED)) & (c["reported"] >= 0)
    )
    ttc_h = (c["closed"][closed] - c["reported"][closed]) / 60.0
    complete_h = (c["closed"][closed] - c["arise"][closed]) / 60.0
    admin = win & (kinds == CaseKind.ADMIN.value) & (c["reported"] >= 0)
    trips = c["trips"][admin]

    in_win_case = np.zeros(len(c["id"]) + 1, dtype=bool)
    in_win_case[:-1] = win
    row = np.searchsorted(c["id"], ev["case"])
    ev_win = in_win_case[row]
    stage, channel = ev["stage"], ev["channel"]
    hot = CHANNEL_ORDER.index(ChannelKind.HOTLINE)
    win_code = CHANNEL_ORDER.index(ChannelKind.WINDOW)
    q_hot = ev_win & (stage == Stage.QUEUE) & (channel == hot)
    hung = ev_win & (stage == Stage.HUNG_UP) & (channel == hot)
    waits_s = (ev["end"][q_hot] - ev["start"][q_hot]) * 60.0
    calls = int(q_hot.sum() + hung.sum())
    q_win = ev_win & (stage == Stage.QUEUE) & (channel == win_code)
    dispatched = np.unique(ev["case"][ev_win & (stage == Stage.DISPATCH)])
    misrouted = c["misrouted"][np.searchsorted(c["id"], dispatched)].astype(bool)

    util = {}
    for d, (name, staff, cal) in enumerate(
        zip(k.department_ids, k.department_staff, k.department_calendars, strict=True)
    ):
        sel = (ev["department"] == d) & np.isin(stage, (Stage.PROCESS, Stage.BOUNCE))
        busy = busy_minutes(ev["start"][sel], ev["end"][sel], cal, k.warmup, k.horizon)
        cap = (
            k.department_capacity_min[d]
            if k.department_capacity_min
            else staff * cal.open_minutes(k.warmup, k.horizon)
        )
        util[name] = rate(busy, cap)

    reported = win & (c["reported"] >= 0)
    by_age: dict[str, object] = {}
    has_res = win & (c["resident"] >= 0)
    age = np.full(len(c["id"]), -1)
    age[has_res] = k.resident_age[c["resident"][has_res]]
    start_h = min(int(k.warmup // 60), len(k.trust) - 1) if k.trust is not None else 0
    for code, group in enumerate(AGE_GROUPS):
        figures = _group(c, has_res & (age == code), k.response_limit_min)
        if k.trust is not None:
            figures["trust_mean_start"] = _finite(k.trust[start_h, code])
            figures["trust_mean_end"] = _finite(k.trust[-1, code])
        by_age[group.value] = figures

    base = _group(c, win, k.response_limit_min)
    by_type: dict[str, object] = {}
    for t, type_id in enumerate(k.type_ids):
        mine = win & (c["type_index"] == t)
        figures = _group(c, mine, k.response_limit_min)
        done = closed & mine
        app = mine & (c["reported"] >= 0)
        by_type[type_id] = {
            "cases": figures["cases"],
            "resolution_rate": figures["resolution_rate"],
            "mean_time_to_close_h": _mean((c["closed"][done] - c["reported"][done]) / 60.0),
            "mean_time_to_complete_h": _mean((c["closed"][done] - c["arise"][done]) / 60.0),
            "trips_per_case_mean": _mean(c["trips"][app]),
            "satisfaction_rate": figures["satisfaction_rate"],
            "satisfaction_all_rate": figures["satisfaction_all_rate"],
            "complaints": figures["complaints"],
        }
    at_window = admin & (c["channel"] == win_code)
    dispatched_rows = np.searchsorted(c["id"], dispatched)
    found = win & (c["reported"] >= 0)
    discovery_h = (c["reported"][found] - c["arise"][found]) / 60.0
    hidden = win & (kinds == CaseKind.HIDDEN.value)
    by_channel = {
        kind.value: int((reported & (c["channel"] == code)).sum())
        for code, kind in enumerate(CHANNEL_ORDER)
    }
    return {
        "cases_total": total,
        "cases_resolved": resolved,
        "cases_closed_unresolved": unresolved,
        "cases_abandoned": abandoned,
        "cases_open_at_end": still_open,
        "response_rate": base["response_rate"],
        "resolution_rate": base["resolution_rate"],
        "satisfaction_rate": base["satisfaction_rate"],
        "satisfaction_all_rate": base["satisfaction_all_rate"],
        "complaints": base["complaints"],
        "trust_mean_start": _finite(k.trust[start_h, -1]) if k.trust is not None else None,
        "trust_mean_end": _finite(k.trust[-1, -1]) if k.trust is not None else None,
        "mean_time_to_close_h": _mean(ttc_h),
        "p90_time_to_close_h": _quantile(ttc_h, 0.9),
        "mean_time_to_complete_h": _mean(complete_h),
        "p90_time_to_complete_h": _quantile(complete_h, 0.9),
        "trips_per_case_mean": _mean(trips),
        "share_at_most_one_trip": rate((trips <= 1).sum(), len(trips)),
        "hotline_mean_wait_s": _mean(waits_s),
        "hotline_abandon_rate": rate(hung.sum(), calls),
        "hotline_answered_within_15s": rate((waits_s <= 15.0).sum(), calls),
        "hotline_calls": calls,
        "window_mean_wait_min": _mean(ev["end"][q_win] - ev["start"][q_win]),
        "misrouted_share": rate(misrouted.sum(), len(dispatched)),
        "not_handleable_share": rate(
            (out[dispatched_rows] == Outcome.CLOSED_UNRESOLVED).sum(), len(dispatched)
        ),
        "materials_exempt_share": rate(c["exempt"][admin].sum(), c["materials"][admin].sum()),
        "share_completed_on_spot": rate(c["on_spot"][at_window].sum(), at_window.sum()),
        "utilisation_by_department": util,
        "kpis_by_age_group": by_age,
        "cases_by_kind": {
            kind.value: int((win & (kinds == kind.value)).sum()) for kind in CaseKind
        },
        "cases_by_channel": by_channel,
        "online_share": base["online_share"],
        "hidden_needs_found_share": rate((hidden & (c["reported"] >= 0)).sum(), hidden.sum()),
        "mean_time_to_discover_h": {
            kind.value: _mean(discovery_h[kinds[found] == kind.value])
            for kind in (CaseKind.EVENT, CaseKind.HIDDEN)
        },
        "kpis_by_case_type": by_type,
    }
