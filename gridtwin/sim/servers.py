"""First-come-first-served multi-server stages kept as heaps of server free times.

For a FCFS, non-preemptive stage the start of service of an arrival is known the moment it
arrives: ``max(now, earliest free time)``. Keeping the servers' free times in a heap makes a
stage cost one timeout instead of the request/grant/release events of a SimPy ``Resource``,
and it is exact. Abandonment fits too: a caller compares the known wait with their patience
on arrival and, if they would hang up, never occupies a server.

Servers come in groups that share a working calendar (department staff work office hours;
hotline seat ``i`` is on duty in the hours where the roster has more than ``i`` seats). A
server only starts work when its calendar is open. With ``pause_off_shift`` (departments) work
pauses over closed hours and resumes at the next opening; without it (telephone calls) a job
that has started runs to its end.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from gridtwin.scenarios.calendar import MINUTES_PER_DAY, MINUTES_PER_WEEK, WeeklyCalendar

__all__ = ["ServerPool", "roster_groups"]


class ServerPool:
    """A FCFS multi-server stage.

    Args:
        name: For messages and outputs.
        groups: ``(servers, calendar)`` pairs.
        pause_off_shift: Whether work pauses while the calendar is closed.

    Raises:
        ValueError: If there is no server at all.
    """

    __slots__ = ("name", "_heaps", "_cals", "_pause", "servers", "busy_minutes", "jobs")

    def __init__(
        self,
        name: str,
        groups: Sequence[tuple[int, WeeklyCalendar]],
        pause_off_shift: bool = True,
    ) -> None:
        groups = [(n, c) for n, c in groups if n > 0]
        if not groups:
            raise ValueError(f"{name}: a server pool needs at least one server")
        self.name = name
        self._heaps = [[0.0] * n for n, _ in groups]
        self._cals = [c for _, c in groups]
        self._pause = pause_off_shift
        self.servers = sum(n for n, _ in groups)
        """Servers in all groups."""
        self.busy_minutes = 0.0
        """Work minutes committed so far."""
        self.jobs = 0
        """Jobs committed so far."""

    def earliest(self, now: float) -> tuple[float, int]:
        """The earliest start of service for an arrival at ``now``, and the group that gives it."""
        best, best_g = float("inf"), 0
        cals = self._cals
        for g, heap in enumerate(self._heaps):
            free = heap[0]
            t = free if free > now else now
            if t >= best:  # opens at ``t`` or later: no earlier than the best so far
                continue
            start = cals[g].next_open(t)
            if start < best:
                best, best_g = start, g
        return best, best_g

    def commit(self, start: float, group: int, work: float) -> float:
        """Occupy the earliest-free server of ``group`` from ``start`` for ``work`` minutes.

        Must be called with the values :meth:`earliest` returned at the same simulated time.

        Returns:
            The end of service.
        """
        end = self._cals[group].add_work(start, work) if self._pause else start + work
        heapq.heapreplace(self._heaps[group], end)
        self.busy_minutes += work
        self.jobs += 1
        return end

    def reserve(self, now: float, work: float) -> tuple[float, float]:
        """Queue an arrival at ``now`` needing ``work`` minutes; return (start, end)."""
        start, group = self.earliest(now)
        return start, self.commit(start, group, work)

    def add_group(self, servers: int, calendar: WeeklyCalendar) -> None:
        """Add ``servers`` more servers on ``calendar`` (a shift or a surge roster)."""
        if servers > 0:
            self._heaps.append([0.0] * servers)
            self._cals.append(calendar)
            self.servers += servers

    def capacity_minutes(self, a: float, b: float) -> float:
        """Server-minutes on duty in ``[a, b)``."""
        return sum(
            len(h) * c.open_minutes(a, b) for h, c in zip(self._heaps, self._cals, strict=True)
        )

    def groups(self) -> list[tuple[int, WeeklyCalendar]]:
        """The ``(servers, calendar)`` groups, for capacity curves."""
        return [(len(h), c) for h, c in zip(self._heaps, self._cals, strict=True)]


def roster_groups(seats_by_hour: Sequence[int]) -> list[tuple[int, WeeklyCalendar]]:
    """Turn a daily roster (seats per hour of day) into server groups with calendars.

    Seat ``i`` is on duty in the hours where the roster has more than ``i`` seats, every day.
    Seats with the same hours form one group.
    """
    if len(seats_by_hour) != 24:
        raise ValueError(f"a roster needs 24 hourly values, got {len(seats_by_hour)}")
    groups: dict[tuple[int, ...], int] = {}
    for i in range(max(seats_by_hour, default=0)):
        hours = tuple(h for h in range(24) if seats_by_hour[h] > i)
        groups[hours] = groups.get(hours, 0) + 1
    out = []
    for hours, n in groups.items():
        spans = [
            (d * MINUTES_PER_DAY + h * 60, d * MINUTES_PER_DAY + (h + 1) * 60)
            for d in range(MINUTES_PER_WEEK // MINUTES_PER_DAY)
            for h in hours
        ]
        out.append((n, WeeklyCalendar(spans)))
    return out
