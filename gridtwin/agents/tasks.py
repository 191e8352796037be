"""Call-out visits for grid workers: work posted to a grid that takes time from patrol.

Besides walking their tour, grid workers answer call-outs: a false alarm to look at, an
elderly resident to visit, a household the data flagged, a resident to help apply online.
Each is a :class:`Task` posted to the grid of its community; a worker of that grid takes one
waiting task after each patrol stop (so patrol slows down but never stops), goes out to the
community and back and stays there for the task's minutes. The time is the worker's: it is
not spent patrolling, and it shows in ``worker_visit_hours``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from gridtwin.sim.processes import call_later

if TYPE_CHECKING:
    from gridtwin.agents.visits import HiddenWatch
    from gridtwin.model import GovernanceModel

__all__ = ["Task", "TaskBoard", "TaskKind"]


class TaskKind(IntEnum):
    """Why a grid worker goes out."""

    ASSISTED = 0
    """Apply online on behalf of a resident who cannot (帮办代办)."""
    FALSE_ALARM = 1
    """Look at a sensor alarm that turns out to be false."""
    HOME_VISIT = 2
    """A scheduled visit to an elderly resident living alone."""
    RELIEF = 3
    """Verify a household the shared data flagged as in hardship (精准救助)."""


@dataclass(slots=True)
class Task:
    """One call-out."""

    kind: TaskKind
    community: int
    minutes: float
    """Time at the place, besides travel."""
    done: Callable[[float], None] | None = None
    """Called at the time the work at the place ends, with that time."""
    resident: int = -1
    """For a home visit, the resident's row: the visit's end matters only if the resident
    has a hidden need not found yet by then (see :meth:`TaskBoard.set_out`); -1 otherwise."""


class TaskBoard:
    """Waiting call-outs per grid, and the worker time they took.

    Args:
        model: The governance model (its city and warm-up).
        watch: The hidden needs not yet found, when home visits look for them.
    """

    __slots__ = ("queues", "_grid", "minutes", "count", "_warmup", "_env", "_watch")

    def __init__(self, model: GovernanceModel, watch: HiddenWatch | None = None) -> None:
        self.queues: list[deque[Task]] = [deque() for _ in model.city.grid_members]
        self._grid = model.city.community_grid.tolist()
        self.minutes = [0.0] * len(TaskKind)
        """Worker minutes (travel included) per kind, of call-outs started after the warm-up."""
        self.count = [0] * len(TaskKind)
        """Call-outs done per kind, started after the warm-up."""
        self._warmup = model.warmup
        self._env = model.env
        self._watch = watch

    def post(self, task: Task) -> None:
        """Put a call-out on its community's grid."""
        self.queues[self._grid[task.community]].append(task)

    def account(self, task: Task, start: float, minutes: float) -> None:
        """Count a call-out a worker started at ``start`` and spent ``minutes`` on."""
        if start >= self._warmup:
            self.minutes[task.kind] += minutes
            self.count[task.kind] += 1

    def set_out(self, task: Task, start: float, travel: float) -> float:
        """A worker takes ``task`` and sets out at ``start``, ``travel`` minutes each way.

        Counts the call-out and has the task's ``done`` called when the work at the place
        ends, which it returns. The worker does not wait for that time: nothing happens to
        the worker then. A home visit's end is an event only if the resident has, or gets,
        a hidden need not found yet by then (:meth:`HiddenWatch.call_if_in_need`): a visit
        that finds nothing changes nothing, and most find nothing.
        """
        end = start + (travel + task.minutes)
        self.account(task, start, 2 * travel + task.minutes)
        done = task.done
        if done is not None:
            env = self._env
            if task.resident >= 0 and self._watch is not None:
                self._watch.call_if_in_need(task.resident, end, done)
            else:
                call_later(env, end - env.now, done)
        return end
