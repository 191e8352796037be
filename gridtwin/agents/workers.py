"""Grid workers (网格员): patrol their grid, find problems, settle simple ones on the spot."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, cast

import mesa

from gridtwin.scenarios.schema import ChannelKind, PatrolSpec
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.sampling import BufferedSampler, quantile

if TYPE_CHECKING:
    from simpy.events import Event

    from gridtwin.agents.tasks import Task, TaskBoard
    from gridtwin.model import GovernanceModel

__all__ = ["GridWorker"]

_PATROL = ChannelKind.PATROL


class GridWorker(mesa.Agent):
    """A grid worker walking a closed tour of communities in working hours.

    At each community the worker inspects for a while; each pending event there is spotted
    with ``detect_probability`` and each hidden need with ``visit_detect_probability`` at each
    visit (by any worker), independently: the case draws once on which visit that happens
    (:mod:`gridtwin.sim.patrol`). A spotted event is settled on the spot with its type's
    ``patrol_settle_share`` (the worker stays for the settling time) or forwarded for dispatch.

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
        self._model = model
        """The model as this project's (mesa types ``self.model`` as any model)."""
        self.grid = grid
        self.route = route
        self.position = route[start_offset % len(route)]
        """The community of the worker's latest stop or call-out."""
        self.visits = 0
        self._next = start_offset % len(route)
        rng = model.streams
        # Read untyped: Mesa 3.5 annotates unique_id as None (set when the model registers the
        # agent), which the compiled engine would check.
        agent_id = cast(Any, self).unique_id
        self.inspect = BufferedSampler(spec.inspect_min, rng.rng("patrol", f"inspect/{agent_id}"))
        self.settle = quantile(spec.settle_min)
        """Settling time, from the case's own number (inspection times are the worker's)."""
        self.calendar = spec.calendar.build()
        speed = model.config.city.walking_speed_kmh / 60.0
        n = len(route)
        self._travel = [model.city.path_km(route[i], route[(i + 1) % n]) / speed for i in range(n)]
        self._speed = speed
        self._legs: dict[tuple[int, int], float] = {}
        """Walking minutes of the call-outs' legs so far, by (from, to) community."""

    def patrol(self) -> Generator[Event, Any, None]:
        """The worker's SimPy process."""
        model, cal = self._model, self.calendar
        env = model.env
        patrol = model.patrol
        types = model.types
        apps, board = model.levers.app_entry, model.levers.tasks  # built with the model
        queue = board.queues[self.grid] if board is not None else None
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
            for case in patrol.visit(c):  # the waiting cases this visit spots
                settle = 0.0
                info = types[case.type_index]
                if info.settle_share and case.u(Draw.SETTLE) < info.settle_share:
                    settle = self.settle(case.u(Draw.SETTLE))
                    busy += settle
                if apps is not None:
                    busy += apps.work(case, env.now)
                case.found.succeed((_PATROL, settle))  # type: ignore[union-attr]
            self._next = (i + 1) % len(self.route)
            if queue and board is not None:
                task = queue.popleft()  # taken now: no other worker takes it
                yield env.timeout(self._call_out(board, task, c, busy, self._travel[i]))
            else:
                yield env.timeout(busy + self._travel[i])

    def _call_out(
        self, board: TaskBoard, task: Task, here: int, busy: float, onward: float
    ) -> float:
        """After ``busy`` minutes at ``here``, go out for the task, come back, walk ``onward``.

        Returns the minutes from now until the worker reaches the next community of the tour:
        one event. The end of the work at the place is the task's own
        (:meth:`~gridtwin.agents.tasks.TaskBoard.set_out`). The wait is to the time a step at
        a time would reach, not a sum of rounded delays.
        """
        now = self._model.env.now
        travel = self._legs.get((here, task.community))
        if travel is None:
            travel = self._legs[here, task.community] = (
                self._model.city.path_km(here, task.community) / self._speed
            )
        self.position = task.community
        done = board.set_out(task, now + busy, travel)
        return (done + travel) + onward - now
