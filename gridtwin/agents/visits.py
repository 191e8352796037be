"""Scheduled home visits to vulnerable residents, apart from patrol (上门走访).

Patrol finds hidden needs by chance, community by community. A visit schedule calls on each
elderly resident living alone ``per_month`` times every 30 days, at a phase of their own
(drawn once): each day's visits are call-outs for the resident's grid workers (see
:mod:`gridtwin.agents.tasks`), so visits take worker time from patrol. A visit finds each
hidden need of the resident that nobody has found yet with ``detect_probability`` (the
case's own number).

:class:`HiddenWatch` keeps the hidden needs not yet found by resident; visits and the
proactive relief model (:mod:`gridtwin.agents.relief`) look there.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from gridtwin.agents.tasks import Task, TaskBoard, TaskKind
from gridtwin.scenarios.base import ChannelKind
from gridtwin.scenarios.calendar import MINUTES_PER_DAY
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case
from gridtwin.sim.processes import call_later
from gridtwin.sim.sampling import quantile

if TYPE_CHECKING:
    import simpy
    from simpy.events import Event

    from gridtwin.model import GovernanceModel
    from gridtwin.scenarios.discovery_schema import HomeVisits

__all__ = ["HiddenWatch", "VisitSchedule", "reveal"]


def reveal(case: Case) -> None:
    """A grid worker at the door finds ``case`` (a hidden need): it goes on to dispatch."""
    found = case.found
    if found is not None and not found.triggered:
        found.succeed((ChannelKind.PATROL, 0.0))


class HiddenWatch:
    """Hidden needs not yet found, by resident row.

    Args:
        env: The SimPy environment (for the ends of home visits, see :meth:`call_if_in_need`).
    """

    __slots__ = ("_by_row", "_env", "_expected")

    def __init__(self, env: simpy.Environment) -> None:
        self._by_row: dict[int, list[Case]] = {}
        self._env = env
        self._expected: dict[int, list[tuple[float, Callable[[float], None]]]] = {}
        """Per resident with no need to find, the visits ending later: ``(end, done)``."""

    def add(self, case: Case) -> None:
        """Watch a hidden need from its arising (and bring on the ends of visits under way)."""
        self._by_row.setdefault(case.resident, []).append(case)
        expected = self._expected.pop(case.resident, None)
        if expected:
            env = self._env
            now = env.now
            for end, done in expected:
                if end >= now:
                    call_later(env, end - now, done)

    def call_if_in_need(self, row: int, end: float, done: Callable[[float], None]) -> None:
        """Call ``done`` at ``end`` if the resident may then have a need not found yet.

        With such a need now, ``done`` is called at ``end`` (the need may be found by then:
        ``done`` looks again). Without one, it is called only if a need arises before
        ``end``; if none does, the visit's end would have found nothing and is no event.
        """
        env = self._env
        now = env.now
        if self.pending(row):
            call_later(env, end - now, done)
            return
        expected = [e for e in self._expected.get(row, ()) if e[0] >= now]
        expected.append((end, done))
        self._expected[row] = expected

    def pending(self, row: int, type_index: int = -1) -> list[Case]:
        """The resident's needs not found yet (of one type, unless ``type_index`` is -1)."""
        cases = self._by_row.get(row)
        if not cases:
            return []
        left = [c for c in cases if c.found is None or not c.found.triggered]
        if left:
            self._by_row[row] = left
        else:
            del self._by_row[row]
        return [c for c in left if type_index < 0 or c.type_index == type_index]

    def rows_in_need(self, type_index: int) -> list[int]:
        """Residents with a need of this type not found yet."""
        return [row for row in list(self._by_row) if self.pending(row, type_index)]


class VisitSchedule:
    """Home visits to every elderly resident living alone, ``per_month`` per 30 days.

    Args:
        model: The governance model.
        spec: ``channels.patrol.home_visits`` (``per_month`` > 0).
        board: The grid workers' call-outs.
        watch: The hidden needs not yet found.
    """

    def __init__(
        self, model: GovernanceModel, spec: HomeVisits, board: TaskBoard, watch: HiddenWatch
    ) -> None:
        self.env = model.env
        self.board = board
        self.watch = watch
        self._warmup = model.warmup
        pop = model.population
        self.rows = pop.eligible
        self._community = pop.community[pop.eligible]
        self.interval = 30.0 * MINUTES_PER_DAY / spec.per_month
        rng = model.streams.rng("patrol", "home_visits")
        self.next_due = rng.random(len(self.rows)) * self.interval
        self._rng = model.streams.rng("patrol", "home_visit_minutes")
        self._minutes = quantile(spec.visit_min)
        self._detect = spec.detect_probability
        self.found = 0
        """Hidden needs found by a home visit after the warm-up."""
        self.env.process(self._schedule())

    def _schedule(self) -> Generator[Event, Any, None]:
        """Each midnight, post the day's visits."""
        env = self.env
        day = 0
        while True:
            end = (day + 1) * MINUTES_PER_DAY
            due = np.flatnonzero(self.next_due < end)
            u = self._rng.random(len(due)).tolist()
            for j, uj in zip(due.tolist(), u, strict=True):
                row = int(self.rows[j])
                done = partial(self._visit, row)
                community = int(self._community[j])
                minutes = self._minutes(uj)
                self.board.post(Task(TaskKind.HOME_VISIT, community, minutes, done, row))
            self.next_due[due] += self.interval
            yield env.timeout(end - env.now)
            day += 1

    def _visit(self, row: int, now: float) -> None:
        for case in self.watch.pending(row):
            if case.u(Draw.VISIT) < self._detect:
                reveal(case)
                if now >= self._warmup:
                    self.found += 1
