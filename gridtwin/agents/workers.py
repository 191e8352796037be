"""Grid workers (网格员): patrol their grid, find problems, settle simple ones on the spot."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import mesa

from gridtwin.scenarios.schema import CaseKind, ChannelKind, PatrolSpec
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.sampling import BufferedSampler, Quantile

if TYPE_CHECKING:
    from simpy.events import Event

    from gridtwin.agents.tasks import Task, TaskBoard
    from gridtwin.model import GovernanceModel

__all__ = ["GridWorker", "visits_until_found"]

_NEVER = 1 << 62


def visits_until_found(u: float, p: float) -> int:
    """On which visit a case is spotted, each visit spotting it with probability ``p``.

    The number of independent trials until the first success is geometric: drawn once per case
    from its own uniform number ``u`` (inverse transform), it is exactly what a draw at every
    visit would give, without a draw per visit.
    """
    if p >= 1.0:
        return 1
    if p <= 0.0:
        return _NEVER
    return int(math.log1p(-u) / math.log1p(-p)) + 1


class GridWorker(mesa.Agent):
    """A grid worker walking a closed tour of communities in working hours.

    At each community the worker inspects for a while; each pending event there is spotted
    with ``detect_probability`` and each hidden need with ``visit_detect_probability`` at each
    visit (by any worker), independently: the case draws once on which visit that happens. A
    spotted event is settled on the spot with its type's ``patrol_settle_share`` (the worker
    stays for the settling time) or forwarded for dispatch.

    Args:
        model: The governance model.
        grid: Index of the worker's grid.
        route: Community indices of the tour, visited in order, then again.
        spec: The patrol channel's spec.
    """

    def __init__(
        self,
        model: GovernanceModel,
        grid: int,
        route: list[int],
        spec: PatrolSpec,
        start_offset: int = 0,
    ) -> None:
        super().__init__(model)
        self.grid = grid
        self.route = route
        self.position = route[start_offset % len(route)]
        """The community the worker is in or heading to."""
        self.visits = 0
        self._next = start_offset % len(route)
        rng = model.streams
        self.inspect = BufferedSampler(
            spec.inspect_min, rng.rng("patrol", f"inspect/{self.unique_id}")
        )
        self.settle = Quantile(spec.settle_min)
        """Settling time, from the case's own number (inspection times are the worker's)."""
        self.calendar = spec.calendar.build()
        self.detect = spec.detect_probability
        self.visit_detect = spec.visit_detect_probability
        speed = model.config.city.walking_speed_kmh / 60.0
        n = len(route)
        self._travel = [model.city.path_km(route[i], route[(i + 1) % n]) / speed for i in range(n)]
        self._speed = speed

    def patrol(self) -> Generator[Event, Any, None]:
        """The worker's SimPy process."""
        env, model, cal = self.model.env, self.model, self.calendar
        pending = model.pending
        types = model.types
        while True:
            now = env.now
            t = cal.next_open(now)
            if t > now:
                yield env.timeout(t - now)
            i = self._next
            c = self.route[i]
            self.position = c
            self.visits += 1
            busy = self.inspect()
            waiting = pending[c]
            if waiting:
                keep = []
                for case in waiting:
                    found = case.found
                    if found.triggered:  # found otherwise: off the list
                        case.patrol_listed = False
                        continue
                    info = types[case.type_index]
                    left = case.patrol_left
                    if left < 0:  # its first visit: on which visit it will be spotted
                        p = self.visit_detect if info.kind is CaseKind.HIDDEN else self.detect
                        left = visits_until_found(case.u(Draw.DETECT), p)
                    left -= 1
                    case.patrol_left = left
                    if left == 0:
                        settle = 0.0
                        if info.settle_share and case.u(Draw.SETTLE) < info.settle_share:
                            settle = self.settle(case.u(Draw.SETTLE))
                            busy += settle
                        if model.levers.app_entry is not None:
                            busy += model.levers.app_entry.work(case, env.now)
                        case.patrol_listed = False
                        found.succeed((ChannelKind.PATROL, settle))
                    else:
                        keep.append(case)
                pending[c] = keep
            self._next = (i + 1) % len(self.route)
            board = model.levers.tasks
            if board is not None and board.queues[self.grid]:
                task = board.queues[self.grid].popleft()  # taken now: no other worker takes it
                yield from self._call_out(board, task, c, busy, self._travel[i])
            else:
                yield env.timeout(busy + self._travel[i])

    def _call_out(
        self, board: TaskBoard, task: Task, here: int, busy: float, onward: float
    ) -> Generator[Event, Any, None]:
        """After ``busy`` minutes at ``here``, do the task, come back and walk ``onward``.

        Two events: the task done, and the arrival at the next community of the tour (the walk
        back and the walk on are one leg; nothing happens to the worker between them). Each
        wait is to the time a step at a time would reach, not a sum of rounded delays.
        """
        env = self.model.env
        now = env.now
        start = now + busy
        travel = self.model.city.path_km(here, task.community) / self._speed
        self.position = task.community
        done = start + (travel + task.minutes)
        yield env.timeout(done - now)
        if task.done is not None:
            task.done(env.now)
        board.account(task, start, 2 * travel + task.minutes)
        self.position = here
        yield env.timeout((done + travel) + onward - env.now)
