"""Hourly time series of a run, for charts and the viewer's replay.

Computed once, after the run, from the event log and the case table: nothing is sampled during
the run. The table is long ("tidy"): one row per hour, series and key, so any number of
channels and departments fit the same four columns.

=============  ==============  ==========================================================
series         key             value for the hour
=============  ==============  ==========================================================
arrivals       channel         cases taken in through the channel in that hour
arrivals       ``all``         cases that arose in that hour
queue          channel / dept  mean number waiting (hotline, windows, kiosks / department);
                               on the phone lines it counts callers who later hang up too
backlog        ``all``         open cases at the end of the hour
utilisation    department      busy staff-minutes / staff-minutes on duty (empty off duty)
utilisation    ``hotline``     busy seat-minutes / seat-minutes on duty (a call that runs
                               past the end of a shift can push an hour above 1)
trust          age group       mean trust of the age group's residents at the end of the hour
trust          ``all``         mean trust of all residents at the end of the hour
=============  ==============  ==========================================================
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from gridtwin.scenarios.schema import ChannelKind
from gridtwin.sim.cases import Outcome, Stage
from gridtwin.vocab import AGE_GROUPS, CHANNEL_ORDER

__all__ = ["hourly_series", "occupancy_by_minute"]


def occupancy_by_minute(starts: np.ndarray, ends: np.ndarray, n_minutes: int) -> np.ndarray:
    """How many intervals cover each minute ``[m, m+1)`` (intervals cut to whole minutes)."""
    s = np.clip(np.floor(starts).astype(np.int64), 0, n_minutes)
    e = np.clip(np.floor(ends).astype(np.int64), 0, n_minutes)
    keep = e > s
    delta = np.zeros(n_minutes + 1)
    np.add.at(delta, s[keep], 1.0)
    np.add.at(delta, e[keep], -1.0)
    return np.cumsum(delta)[:n_minutes]


def _by_hour(per_minute: np.ndarray) -> np.ndarray:
    return per_minute.reshape(-1, 60).sum(axis=1)


class _Rows:
    def __init__(self) -> None:
        self.hour: list[np.ndarray] = []
        self.series: list[str] = []
        self.key: list[str] = []
        self.value: list[np.ndarray] = []

    def add(self, series: str, key: str, values: np.ndarray) -> None:
        self.hour.append(np.arange(len(values), dtype=np.int32))
        self.series.append(series)
        self.key.append(key)
        self.value.append(np.asarray(values, dtype=float))

    def table(self) -> pa.Table:
        lengths = [len(v) for v in self.value]
        return pa.table(
            {
                "hour": pa.array(np.concatenate(self.hour) if self.hour else np.empty(0, np.int32)),
                "series": pa.array(np.repeat(self.series, lengths)).dictionary_encode(),
                "key": pa.array(np.repeat(self.key, lengths)).dictionary_encode(),
                "value": pa.array(
                    np.concatenate(self.value) if self.value else np.empty(0), from_pandas=True
                ),
            }
        )


def hourly_series(
    cases: dict[str, np.ndarray],
    events: dict[str, np.ndarray],
    horizon: float,
    department_ids: Sequence[str],
    department_capacity: Sequence[np.ndarray],
    hotline_capacity: np.ndarray | None,
    trust: np.ndarray | None = None,
) -> pa.Table:
    """The long table of hourly series.

    Args:
        cases: Case table columns.
        events: Event log columns.
        horizon: Run length in minutes.
        department_ids: Department ids in code order.
        department_capacity: Per department, staff on duty per minute.
        hotline_capacity: Seats on duty per minute (None without a hotline).
        trust: Mean trust per age group then over everyone, at the start and at the end of
            each hour (``(hours + 1, groups + 1)``; None: no trust series).
    """
    n_hours = int(np.ceil(horizon / 60))
    n_min = n_hours * 60
    rows = _Rows()
    bins = np.arange(n_hours + 1) * 60.0
    rows.add("arrivals", "all", np.histogram(cases["arise"], bins)[0])
    reported = cases["reported"] >= 0
    for code, kind in enumerate(CHANNEL_ORDER):
        sel = reported & (cases["channel"] == code)
        if sel.any():
            rows.add("arrivals", kind.value, np.histogram(cases["reported"][sel], bins)[0])
    closed = cases["closed"][cases["outcome"] != Outcome.OPEN]
    backlog = np.cumsum(np.histogram(cases["arise"], bins)[0]) - np.cumsum(
        np.histogram(closed, bins)[0]
    )
    rows.add("backlog", "all", backlog)

    stage, channel, dept = events["stage"], events["channel"], events["department"]
    start, end = events["start"], events["end"]
    # Callers on hold who hang up later were waiting too (their HUNG_UP interval is the wait).
    queue = (stage == Stage.QUEUE) | (stage == Stage.HUNG_UP)
    for code, kind in enumerate(CHANNEL_ORDER):
        sel = queue & (channel == code)
        if sel.any():
            rows.add(
                "queue", kind.value, _by_hour(occupancy_by_minute(start[sel], end[sel], n_min)) / 60
            )
    hot = CHANNEL_ORDER.index(ChannelKind.HOTLINE)
    if hotline_capacity is not None:
        sel = (stage == Stage.INTAKE) & (channel == hot)
        busy = _by_hour(occupancy_by_minute(start[sel], end[sel], n_min))
        cap = _by_hour(hotline_capacity[:n_min])
        rows.add("utilisation", ChannelKind.HOTLINE.value, _ratio(busy, cap))
    waiting = stage == Stage.PROCESS_WAIT
    working = (stage == Stage.PROCESS) | (stage == Stage.BOUNCE)
    for d, name in enumerate(department_ids):
        mine = dept == d
        sel = waiting & mine
        rows.add("queue", name, _by_hour(occupancy_by_minute(start[sel], end[sel], n_min)) / 60)
        sel = working & mine
        cap_min = department_capacity[d][:n_min]
        busy = _by_hour(occupancy_by_minute(start[sel], end[sel], n_min) * (cap_min > 0))
        rows.add("utilisation", name, _ratio(busy, _by_hour(cap_min)))
    if trust is not None and len(trust) > 1:
        names = [g.value for g in AGE_GROUPS] + ["all"]
        for j, name in enumerate(names):
            values = trust[1 : n_hours + 1, j]
            if np.isfinite(values).any():
                rows.add("trust", name, values)
    return rows.table()


def _ratio(busy: np.ndarray, cap: np.ndarray) -> np.ndarray:
    out = np.full(len(cap), np.nan)
    on = cap > 0
    out[on] = busy[on] / cap[on]
    return out
