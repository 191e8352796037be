"""Rosters: shifts, surge rosters switched on by an event or a backlog, and paid staff hours.

A weekly roster is a list of :class:`~gridtwin.scenarios.staffing_schema.Shift` lines; each
becomes a group of servers on its own weekly calendar in the role's
:class:`~gridtwin.sim.servers.ServerPool` (a server only starts work while its calendar is
open). A surge roster adds a group whose calendar is a :class:`SpanCalendar`: absolute spans of
the run (not repeated weekly), known in advance for an event (the typhoon, a window) or
appended while the run goes for a backlog trigger. Surge staff serve the cases that queue
while the surge is on and finish the job they started when it ends.

Paid staff hours are the roster arithmetic: servers times the open hours of their calendars
in the outcome window (after the warm-up).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gridtwin.scenarios.base import ChannelKind
from gridtwin.scenarios.calendar import MINUTES_PER_DAY, WeeklyCalendar
from gridtwin.scenarios.staffing_schema import ROLES, Shift, SurgeRoster
from gridtwin.sim.servers import ServerPool

if TYPE_CHECKING:
    from gridtwin.model import GovernanceModel

__all__ = ["SpanCalendar", "SurgeRosters", "shift_groups", "staff_hours_by_role"]


def shift_groups(shifts: Sequence[Shift]) -> list[tuple[int, WeeklyCalendar]]:
    """``(staff, calendar)`` server groups of a weekly roster's shifts."""
    return [(s.staff, s.calendar()) for s in shifts]


class SpanCalendar(WeeklyCalendar):
    """Open during absolute spans of the run (a surge), never otherwise.

    Spans are kept sorted and merged; :meth:`open_span` appends one while the run goes (a
    backlog trigger), so questions about the future are answered from what is known now.
    Work never pauses: :meth:`add_work` ends ``work`` minutes after the next opening (surge
    staff finish the job they started).
    """

    __slots__ = ("_spans", "_span_starts")

    def __init__(self, spans: Sequence[tuple[float, float]] = ()) -> None:
        self._spans: list[list[float]] = []
        self._span_starts: list[float] = []
        self.always = False
        for s, e in sorted(spans):
            self.open_span(s, e)

    def __repr__(self) -> str:
        return f"SpanCalendar({len(self._spans)} spans)"

    @property
    def spans(self) -> list[tuple[float, float]]:
        """The open spans, sorted and merged."""
        return [(s, e) for s, e in self._spans]

    @property
    def open_minutes_per_week(self) -> float:
        """Mean open minutes per week over the spans known (for size estimates only)."""
        return sum(e - s for s, e in self._spans) / max(1.0, len(self._spans))

    def open_span(self, start: float, end: float) -> None:
        """Open ``[start, end)``; it may only extend or follow the last span."""
        if end <= start:
            return
        spans = self._spans
        if spans and start <= spans[-1][1]:
            if start < spans[-1][0]:
                raise ValueError("spans must be opened in time order")
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
            self._span_starts.append(start)

    def _index(self, t: float) -> int:
        return bisect_right(self._span_starts, t) - 1

    def is_open(self, t: float) -> bool:
        """Whether a span covers ``t``."""
        i = self._index(t)
        return i >= 0 and t < self._spans[i][1]

    def next_open(self, t: float) -> float:
        """``t`` if open, else the start of the next span (infinity: none known)."""
        i = self._index(t)
        if i >= 0 and t < self._spans[i][1]:
            return t
        if i + 1 < len(self._spans):
            return self._spans[i + 1][0]
        return float("inf")

    def add_work(self, t: float, work: float) -> float:
        """The job ends ``work`` minutes after the next opening (no pause)."""
        return self.next_open(t) + max(work, 0.0)

    def cumulative(self, t: float) -> float:
        """Open minutes in ``[0, t)``."""
        return sum(max(0.0, min(e, t) - s) for s, e in self._spans if s < t)

    def cumulative_array(self, t: np.ndarray) -> np.ndarray:
        """:meth:`cumulative` for many times at once."""
        t = np.asarray(t, dtype=float)
        out = np.zeros_like(t)
        for s, e in self._spans:
            out += np.clip(np.minimum(t, e) - s, 0.0, None)
        return out

    def minute_mask(self, n_minutes: int) -> np.ndarray:
        """1 where minute ``m`` is open, for ``m < n_minutes``."""
        mask = np.zeros(n_minutes)
        for s, e in self._spans:
            mask[int(min(s, n_minutes)) : int(min(np.ceil(e), n_minutes))] = 1.0
        return mask


class SurgeRosters:
    """The scenario's surge rosters, wired into the hotline and department pools.

    Args:
        model: The governance model (channels and departments already built).
    """

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        self.calendars: list[SpanCalendar] = []
        self.activations: list[int] = []
        """Per roster: how many times a backlog switched it on (event rosters: 1)."""
        typhoon = model.config.services.typhoon
        seats = model.seats(ChannelKind.HOTLINE)
        for roster in model.config.staffing.surge_rosters:
            hold = roster.hold_h * 60.0
            if roster.trigger == "typhoon" and typhoon is not None:
                start, end = typhoon.start_day, typhoon.end_day
                cal = SpanCalendar([(start * MINUTES_PER_DAY, end * MINUTES_PER_DAY + hold)])
            elif roster.trigger == "window":
                cal = SpanCalendar(
                    [(roster.start_day * MINUTES_PER_DAY, roster.end_day * MINUTES_PER_DAY)]
                )
            else:
                cal = SpanCalendar()
            self.calendars.append(cal)
            self.activations.append(int(roster.trigger != "backlog"))
            if seats is not None and roster.hotline:
                seats.add_group(roster.hotline, cal)
            for dept, n in roster.departments.items():
                model.departments[model.department_index[dept]].pool.add_group(n, cal)
            if roster.trigger == "backlog":
                model.env.process(self._watch(len(self.calendars) - 1, roster))

    def _backlog_h(self, watch: str) -> float:
        """Working hours of queue ahead of a new case at ``watch`` now."""
        m = self.model
        now = m.env.now
        if watch == ChannelKind.HOTLINE.value:
            seats = m.seats(ChannelKind.HOTLINE)
            if seats is None:
                return 0.0
            start = seats.earliest(now)[0]
            return (start - now) / 60.0
        dept = m.departments[m.department_index[watch]]
        start = dept.pool.earliest(now)[0]
        return dept.calendar.open_minutes(now, start) / 60.0

    def _watch(self, i: int, roster: SurgeRoster) -> Generator[Any, Any, None]:
        """Check the backlog every ``check_every_min``; switch the roster on while it is high."""
        env = self.model.env
        cal = self.calendars[i]
        hold = roster.hold_h * 60.0
        step = roster.check_every_min
        while True:
            yield env.timeout(step)
            if self._backlog_h(roster.watch) > roster.backlog_above_h:
                now = env.now
                if not cal.is_open(now):
                    self.activations[i] += 1
                cal.open_span(now, now + max(hold, step))


def _pool_hours(pools: Sequence[ServerPool], a: float, b: float) -> tuple[float, float]:
    """Paid hours in ``[a, b)`` of the pools' regular groups, and of their surge groups."""
    regular = surge = 0.0
    for pool in pools:
        for n, cal in pool.groups():
            minutes = n * cal.open_minutes(a, b)
            if isinstance(cal, SpanCalendar):
                surge += minutes
            else:
                regular += minutes
    return regular / 60.0, surge / 60.0


def staff_hours_by_role(
    model: GovernanceModel, rework: Sequence[ServerPool] = ()
) -> dict[str, float]:
    """Paid staff hours per role in the outcome window (after the warm-up).

    Roles: hotline and consultation seats, window clerks, department staff, grid workers,
    the rework queues' staff and surge staff (every surge roster's hours, whatever the role).
    """
    from gridtwin.agents.halls import WindowChannel  # halls imports this module

    a, b = model.warmup, model.horizon
    hours = dict.fromkeys(ROLES, 0.0)
    surge = 0.0
    for kind in (ChannelKind.HOTLINE, ChannelKind.CONSULTATION):
        seats = model.seats(kind)
        if seats is not None:
            regular, extra = _pool_hours([seats], a, b)
            hours[kind.value] += regular
            surge += extra
    window = model.channels.get(model.channel_code[ChannelKind.WINDOW])
    if isinstance(window, WindowChannel):
        pools = [p for route in window.routes.values() for p in route[0]]
        hours["window"] = _pool_hours(pools, a, b)[0]
    regular, extra = _pool_hours([d.pool for d in model.departments], a, b)
    hours["department"] = regular
    surge += extra
    hours["grid_worker"] = sum(w.calendar.open_minutes(a, b) for w in model.workers) / 60.0
    hours["rework"] = _pool_hours(rework, a, b)[0]
    hours["surge"] = surge
    return {role: round(h, 6) for role, h in hours.items()}
