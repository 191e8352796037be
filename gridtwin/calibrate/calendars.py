"""Departments' working hours inferred from when they close requests.

A log has no rosters, but closures say when people work: Los Angeles' sanitation bureau
closes requests from about 06:00 to 18:00, Monday to Saturday, and almost never on Sundays.
Time to close then depends on when a request arrives (Friday's wait over the weekend), which
an around-the-clock department cannot reproduce. :func:`infer_calendar` finds the weekdays and
the shortest daily span holding 97% of a department's closures (closures within ten minutes
of creation are left out: they are intake, not work); :meth:`WorkCalendar.working_hours`
turns elapsed times to close into hours of work in that calendar, which the scenario then
uses as handling time with the calendar as the department's. Too few closures, too short a
follow-up to see every weekday, or work at all hours: around the clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MIN_CLOSURES", "WorkCalendar", "infer_calendar"]

MIN_CLOSURES = 100
"""Fewer closures than this: no calendar is inferred (around the clock)."""
COVERAGE = 0.97
"""Share of the closures the inferred hours must hold."""
MIN_DAY_SHARE = 0.15
"""A weekday is a working day if it has at least this share of the busiest day's closures."""
MIN_SPAN_DAYS = 14.0
"""Closures must spread over two weeks to tell working days apart; else every day works."""
WORK_MIN_S = 600.0
"""Closures sooner than this after creation are intake, not work."""
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and a daily span of whole hours (or around the clock)."""

    always: bool
    days: tuple[int, ...] = tuple(range(7))
    start_h: int = 0
    end_h: int = 24
    closures: int = 0
    reason: str = ""

    def mask(self) -> np.ndarray:
        """168 booleans, Monday 00:00 first: the open hours of the week."""
        if self.always:
            return np.ones(168, dtype=bool)
        m = np.zeros((7, 24), dtype=bool)
        for d in self.days:
            m[d, self.start_h:self.end_h] = True
        return m.ravel()

    def spec(self) -> dict[str, object]:
        """The scenario's ``calendar`` mapping."""
        if self.always:
            return {"always": True}
        return {"days": [DAYS[d] for d in self.days],
                "hours": [f"{self.start_h:02d}:00-{self.end_h:02d}:00"]}

    def label(self) -> str:
        """``Mon-Sat 06:00-18:00`` or ``around the clock``."""
        if self.always:
            return "around the clock"
        days = ",".join(DAYS[d] for d in self.days)
        return f"{days} {self.start_h:02d}:00-{self.end_h:02d}:00"

    def working_hours(self, start_local: np.ndarray, end_local: np.ndarray) -> np.ndarray:
        """Open hours in ``[start, end)`` of each pair (local clock, epoch seconds)."""
        if self.always:
            return (np.asarray(end_local) - np.asarray(start_local)) / 3600.0
        return (self._cumulative(end_local) - self._cumulative(start_local)) / 60.0

    def _cumulative(self, t: np.ndarray) -> np.ndarray:
        """Open minutes from a Monday 00:00 long ago (1969-12-29) to ``t``."""
        mask = self.mask().astype(float)
        before = np.concatenate([[0.0], np.cumsum(mask)]) * 60.0
        minutes = np.asarray(t, dtype=float) / 60.0 + 72 * 60
        week, within = np.divmod(minutes, 10080.0)
        hour = np.minimum((within // 60).astype(int), 167)
        return week * before[-1] + before[hour] + mask[hour] * (within - hour * 60.0)


def infer_calendar(created_local: np.ndarray, closed_local: np.ndarray) -> WorkCalendar:
    """A department's calendar from its closures (local clock, epoch seconds; NaN: open)."""
    done = np.isfinite(closed_local) & (closed_local - created_local >= WORK_MIN_S)
    closed = closed_local[done]
    n = int(closed.size)
    if n < MIN_CLOSURES:
        return WorkCalendar(True, closures=n, reason=f"only {n} closures")
    how = (np.floor(closed / 3600.0).astype(np.int64) + 72) % 168
    per_day = np.bincount(how // 24, minlength=7)
    span = (closed.max() - closed.min()) / 86400.0
    days = tuple(range(7))
    if span >= MIN_SPAN_DAYS:
        busiest = int(np.max(per_day))
        days = tuple(d for d in range(7) if per_day[d] >= MIN_DAY_SHARE * busiest)
    on_days = np.isin(how // 24, days)
    hours = np.bincount(how[on_days] % 24, minlength=24)
    total = hours.sum()
    best = (0, 24)
    for length in range(1, 25):
        cover = [(hours[a:a + length].sum(), a) for a in range(0, 25 - length)]
        got, a = max(cover)
        if got >= COVERAGE * total:
            best = (a, a + length)
            break
    if len(days) == 7 and best[1] - best[0] >= 20:
        return WorkCalendar(True, closures=n, reason="closures at all hours")
    return WorkCalendar(False, days, best[0], best[1], n,
                        f"{COVERAGE:.0%} of {n} closures" + (
                            "" if span >= MIN_SPAN_DAYS else
                            f"; {span:.0f} days of closures cannot tell weekdays apart"))
