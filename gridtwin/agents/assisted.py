"""Assisted digital service (帮办代办): staff apply online for residents who cannot.

A resident offered help (an age group the scenario names, or digital literacy below its
threshold) who applies on the portal accepts it with ``take_up``. The application is then
entered by a helper, in the helper's working time:

- a grid worker comes by (a call-out on the resident's grid, see
  :mod:`gridtwin.agents.tasks`): the resident waits for the visit, not in a queue;
- or a hall clerk on assisted duty serves the resident first come first served in the
  windows' opening hours (the wait counts as time waited at a channel).

The submission then fails only with the service's own ``failure`` (the helper knows the app):
no literacy failure, no app-sprawl failure. The staff time is counted in
``assisted_staff_hours``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from gridtwin.agents.tasks import Task, TaskBoard, TaskKind
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case, Stage
from gridtwin.sim.sampling import quantile
from gridtwin.sim.servers import ServerPool
from gridtwin.vocab import AGE_GROUPS

if TYPE_CHECKING:
    from simpy.events import Event

    from gridtwin.agents.channels import Intake, OnlineChannel
    from gridtwin.model import CaseTypeInfo, GovernanceModel
    from gridtwin.scenarios.discovery_schema import AssistedService

__all__ = ["AssistedIntake"]


def _arrive(visit: Event, now: float) -> None:
    """The grid worker has entered the application at ``now``."""
    visit.succeed(now)


class AssistedIntake:
    """Who is helped, by whom, and the staff time it takes.

    Args:
        model: The governance model.
        spec: ``channels.portal.assisted`` (enabled).
        board: The grid workers' call-outs (needed with the ``grid_worker`` provider).
    """

    def __init__(
        self, model: GovernanceModel, spec: AssistedService, board: TaskBoard | None
    ) -> None:
        pop = model.population
        self._ages = {AGE_GROUPS.index(a) for a in spec.ages}
        self._age = pop.age_group
        self._literacy = pop.literacy
        self._below = spec.literacy_below
        self._take_up = spec.take_up
        self._failure = spec.failure
        self._work = quantile(spec.assist_min)
        self._warmup = model.warmup
        self.board = board
        self.pool: ServerPool | None = None
        if spec.provider == "hall_staff":
            cal = model.config.channels.window.calendar.build()
            self.pool = ServerPool("assisted", [(spec.helpers, cal)], pause_off_shift=True)
        self.minutes = 0.0
        """Hall clerks' minutes of assisted service started after the warm-up (grid workers'
        are counted by the task board, travel included)."""
        self.cases = 0
        """Applications entered by a helper, for cases that arose after the warm-up."""

    def wants(self, case: Case) -> bool:
        """Whether this case's resident is offered help and accepts it."""
        row = case.resident
        if row < 0:
            return False
        offered = self._age.item(row) in self._ages or self._literacy.item(row) < self._below
        return offered and case.u(Draw.ASSIST) < self._take_up

    def intake(self, channel: OnlineChannel, case: Case, info: CaseTypeInfo) -> Intake:
        """A helper enters the application: wait for the helper, then the entry."""
        env, code = channel.env, channel.code
        now = env.now
        work = self._work(case.u(Draw.ASSIST))
        if self.pool is not None:
            start, end = self.pool.reserve(now, work)
            case.waited += start - now
            if start >= self._warmup:
                self.minutes += work
        else:
            assert self.board is not None
            visit = env.event()
            done = partial(_arrive, visit)
            self.board.post(Task(TaskKind.ASSISTED, case.community, work, done))
            end = yield visit
            start = end - work
        ok = case.u(Draw.ASSIST) >= self._failure
        channel.log(case.id, Stage.QUEUE, code, -1, now, start)
        channel.log(case.id, Stage.INTAKE if ok else Stage.INTAKE_FAILED, code, -1, start, end)
        if end > env.now:
            yield env.timeout(end - env.now)
        if case.arise >= self._warmup:
            self.cases += 1
        if not ok:
            case.failures += 1
        return ok
