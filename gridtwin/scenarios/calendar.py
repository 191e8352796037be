"""Working calendars: when a department, hall, kiosk or worker is on duty.

Simulation time is in minutes from the start of the run, and the run starts on a Monday at
00:00. A :class:`WeeklyCalendar` is a set of open intervals repeated every week. It answers the
questions the engine asks of working time, each in O(log k) for k intervals a week:

* :meth:`~WeeklyCalendar.next_open` — the first open minute at or after ``t``;
* :meth:`~WeeklyCalendar.add_work` — when ``work`` open minutes started at ``t`` end, pausing
  over closed hours (with office hours until 17:30, 30 minutes of work started on a Monday at
  17:10 end on Tuesday at 09:10);
* :meth:`~WeeklyCalendar.open_minutes` — open minutes in ``[a, b)``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["MINUTES_PER_DAY", "MINUTES_PER_WEEK", "WEEKDAYS", "WeeklyCalendar"]

from gridtwin.vocab import MINUTES_PER_DAY, MINUTES_PER_WEEK, WEEKDAYS


def parse_hhmm(text: str) -> int:
    """Parse ``"HH:MM"`` (``"24:00"`` allowed) into minutes after midnight.

    Raises:
        ValueError: If the text is not a time of day.
    """
    try:
        hh, mm = text.strip().split(":")
        h, m = int(hh), int(mm)
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day HH:MM") from None
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m != 0):
        raise ValueError(f"{text!r} is not a time of day between 00:00 and 24:00")
    return h * 60 + m


def parse_span(text: str) -> tuple[int, int]:
    """Parse ``"HH:MM-HH:MM"`` into a (start, end) pair of minutes after midnight.

    Raises:
        ValueError: If the span is malformed or empty.
    """
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"{text!r} is not a span HH:MM-HH:MM")
    start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


class WeeklyCalendar:
    """Open intervals that repeat every week.

    Args:
        intervals: ``(start, end)`` minute pairs within one week (0 = Monday 00:00,
            10080 = next Monday 00:00). Overlapping or touching intervals are merged.

    Raises:
        ValueError: If there is no open time at all or an interval lies outside the week.
    """

    __slots__ = (
        "_starts",
        "_ends",
        "_cum",
        "_cum_end",
        "_week_open",
        "always",
        "_lo",
        "_hi",
        "_in",
    )

    def __init__(self, intervals: Iterable[tuple[float, float]]) -> None:
        merged: list[list[float]] = []
        for s, e in sorted(intervals):
            if not 0 <= s < e <= MINUTES_PER_WEEK:
                raise ValueError(f"interval ({s}, {e}) is not inside one week")
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        if not merged:
            raise ValueError("a calendar needs at least one open interval")
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]
        cum = 0.0
        self._cum: list[float] = []
        self._cum_end: list[float] = []
        for s, e in merged:
            self._cum.append(cum)
            cum += e - s
            self._cum_end.append(cum)
        self._week_open = cum
        self.always = self._week_open == MINUTES_PER_WEEK
        """True when the calendar is open around the clock."""
        self._lo = self._hi = 0.0
        self._in = False
        """The last span :meth:`next_open` looked up, ``[_lo, _hi)`` in run time, open or not:
        the engine asks about the same hours again and again (a cache, not a state)."""

    @classmethod
    def always_open(cls) -> WeeklyCalendar:
        """A calendar open 24 hours a day, 7 days a week."""
        return cls([(0, MINUTES_PER_WEEK)])

    @classmethod
    def from_days_hours(cls, days: Sequence[str], hours: Sequence[str]) -> WeeklyCalendar:
        """Build from weekday names and daily spans.

        Args:
            days: Weekday names among :data:`WEEKDAYS`.
            hours: Daily spans ``"HH:MM-HH:MM"``, the same on every listed day.

        Raises:
            ValueError: On an unknown day name, a malformed span or no open time.
        """
        intervals = []
        for day in days:
            if day not in WEEKDAYS:
                raise ValueError(f"{day!r} is not a weekday; allowed: {', '.join(WEEKDAYS)}")
            base = WEEKDAYS.index(day) * MINUTES_PER_DAY
            for span in hours:
                s, e = parse_span(span)
                intervals.append((base + s, base + e))
        return cls(intervals)

    @property
    def open_minutes_per_week(self) -> float:
        """Open minutes in one week."""
        return self._week_open

    def __repr__(self) -> str:
        return f"WeeklyCalendar({len(self._starts)} intervals, {self._week_open / 60:g} h/week)"

    def is_open(self, t: float) -> bool:
        """Whether the calendar is open at time ``t``."""
        if self.always:
            return True
        tw = t % MINUTES_PER_WEEK
        i = bisect_right(self._starts, tw) - 1
        return i >= 0 and tw < self._ends[i]

    def next_open(self, t: float) -> float:
        """The first open time at or after ``t``."""
        if self._lo <= t < self._hi:
            return t if self._in else self._hi
        if self.always:
            return t
        week, tw = divmod(t, MINUTES_PER_WEEK)
        base = week * MINUTES_PER_WEEK
        starts, ends = self._starts, self._ends
        i = bisect_right(starts, tw) - 1
        if i >= 0 and tw < ends[i]:
            self._lo, self._hi, self._in = base + starts[i], base + ends[i], True
            return t
        if i + 1 < len(starts):
            nxt = base + starts[i + 1]
        else:
            nxt = (week + 1) * MINUTES_PER_WEEK + starts[0]
        self._lo = base + ends[i] if i >= 0 else base - MINUTES_PER_WEEK + ends[-1]
        self._hi, self._in = nxt, False
        return nxt

    def cumulative(self, t: float) -> float:
        """Open minutes in ``[0, t)``."""
        if self.always:
            return t
        week, tw = divmod(t, MINUTES_PER_WEEK)
        i = bisect_right(self._starts, tw) - 1
        within = 0.0 if i < 0 else self._cum[i] + min(tw, self._ends[i]) - self._starts[i]
        return week * self._week_open + within

    def _at_cumulative(self, c: float) -> float:
        """The earliest time by which ``c`` > 0 open minutes have passed."""
        week, r = divmod(c, self._week_open)
        if r == 0:
            week, r = week - 1, self._week_open
        i = bisect_left(self._cum_end, r)
        return week * MINUTES_PER_WEEK + self._starts[i] + (r - self._cum[i])

    def add_work(self, t: float, work: float) -> float:
        """When ``work`` open minutes, started at ``t`` (or the next opening), are done."""
        if self.always:
            return t + work
        # next_open leaves the span it found in _lo, _hi: the open one holding ``start``, or
        # the closed one ending there (then ``end`` lies beyond it and takes the long way);
        # when ``t`` is in the open span it found last, that is ``start`` without the call
        start = t if self._in and self._lo <= t < self._hi else self.next_open(t)
        if work <= 0:
            return start
        end = start + work
        if end <= self._hi:  # done within the span it starts in
            return end
        # max(): work below the float spacing of the cumulative clock must not end earlier
        return max(start, self._at_cumulative(self.cumulative(start) + work))

    def cumulative_array(self, t: np.ndarray) -> np.ndarray:
        """:meth:`cumulative` for many times at once."""
        t = np.asarray(t, dtype=float)
        if self.always:
            return t.copy()
        week, tw = np.divmod(t, MINUTES_PER_WEEK)
        starts, ends = np.asarray(self._starts), np.asarray(self._ends)
        i = np.searchsorted(starts, tw, side="right") - 1
        ic = np.maximum(i, 0)
        within = np.where(
            i < 0, 0.0, np.asarray(self._cum)[ic] + np.minimum(tw, ends[ic]) - starts[ic]
        )
        return week * self._week_open + within

    def open_minutes(self, a: float, b: float) -> float:
        """Open minutes in ``[a, b)``."""
        return self.cumulative(b) - self.cumulative(a)

    def minute_mask(self, n_minutes: int) -> np.ndarray:
        """A 0/1 float array: 1 where minute ``m`` (``[m, m+1)``) is open, for ``m < n_minutes``."""
        week = np.zeros(MINUTES_PER_WEEK)
        for s, e in zip(self._starts, self._ends, strict=True):
            week[int(s) : int(np.ceil(e))] = 1.0
        reps = -(-n_minutes // MINUTES_PER_WEEK)
        return np.tile(week, reps)[:n_minutes]
