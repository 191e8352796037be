"""Sensor alarms per event type, false alarms, and the camera check before anyone goes.

``channels.sensor.by_type`` gives an urban-event type sensors of its own: a coverage of
communities (drawn once per run from the sensor stream, per type), a detection delay and a
rate of false alarms per covered community. A true alarm reveals the event like the
community sensors do. A false alarm sends a grid worker to the scene (a call-out: travel and
``alarm_visit_min`` of the worker's time, see :mod:`gridtwin.agents.tasks`).

With ``channels.sensor.camera_confirm`` an operator first pulls up the cameras near every
alarm (§3: "a flood sensor alarm pulls up cameras within 300 m"): ``check_min`` of operator
time per alarm, which a true alarm's dispatch waits for, and a false alarm is seen to be
false with ``catch_false`` (no visit).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from gridtwin.agents.tasks import Task, TaskBoard, TaskKind
from gridtwin.scenarios.calendar import MINUTES_PER_DAY
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case
from gridtwin.sim.sampling import QuantileFn, quantile

if TYPE_CHECKING:
    from simpy.events import Event

    from gridtwin.model import CaseTypeInfo, GovernanceModel
    from gridtwin.scenarios.channel_specs import SensorsSpec

__all__ = ["AlarmDesk"]

_DAYS_PER_YEAR = 365.0


class AlarmDesk:
    """Typed sensors, their false alarms and the camera check.

    Args:
        model: The governance model (its case types compiled).
        spec: ``channels.sensor``.
        board: The grid workers' call-outs (needed when false alarms send someone).
    """

    def __init__(self, model: GovernanceModel, spec: SensorsSpec, board: TaskBoard | None) -> None:
        self.env = model.env
        self._warmup = model.warmup
        self.board = board
        streams = model.streams
        n_comm = model.city.n_communities
        index = {info.id: info.index for info in model.types}
        self.typed: dict[int, tuple[list[bool], QuantileFn]] = {}
        """Per case-type code: covered communities and the detection delay."""
        times: list[np.ndarray] = []
        places: list[np.ndarray] = []
        for type_id, st in sorted(spec.by_type.items()):
            code = index[type_id]
            covered = streams.rng("sensor", f"coverage/{type_id}").random(n_comm) < st.coverage
            covered &= spec.enabled
            self.typed[code] = (covered.tolist(), quantile(st.detect_delay_min))
            model.types[code].discover_sensor = bool(spec.enabled)
            if st.false_alarms_per_year > 0 and covered.any():
                rng = streams.rng("sensor", f"false_alarms/{type_id}")
                lam = st.false_alarms_per_year * model.horizon / (MINUTES_PER_DAY * _DAYS_PER_YEAR)
                counts = rng.poisson(lam, n_comm) * covered
                places.append(np.repeat(np.arange(n_comm), counts))
                times.append(rng.random(int(counts.sum())) * model.horizon)
        camera = spec.camera_confirm
        self.camera = camera.enabled and spec.enabled
        self._check = quantile(camera.check_min)
        self._catch = camera.catch_false
        self._visit = quantile(spec.alarm_visit_min)
        self.checks = 0
        """Alarms (true and false) checked on the cameras after the warm-up."""
        self.check_minutes = 0.0
        self.false_alarms = 0
        """False alarms raised after the warm-up."""
        self.false_filtered = 0
        """Of those, seen to be false on the cameras (no visit)."""
        if times:
            t = np.concatenate(times)
            order = np.argsort(t, kind="stable")
            rng = streams.rng("sensor", "false_alarm_draws")
            draws = rng.random((len(t), 3))  # check time, caught, visit time
            self._false = (t[order].tolist(), np.concatenate(places)[order].tolist(), draws)
            self.env.process(self._false_alarms())

    def detect(self, case: Case, info: CaseTypeInfo) -> float | None:
        """Minutes until the event's own sensors' alarm reaches dispatch (None: no sensor).

        The camera check, when on, is included.
        """
        covered, delay = self.typed[info.index]
        if not covered[case.community]:
            return None
        return delay(case.u(Draw.SENSOR_DELAY)) + self.confirm(case)

    def confirm(self, case: Case) -> float:
        """Minutes of the camera check of a true alarm about ``case`` (0 without cameras)."""
        if not self.camera:
            return 0.0
        minutes = self._check(case.u(Draw.CAMERA))
        if self.env.now >= self._warmup:
            self.checks += 1
            self.check_minutes += minutes
        return minutes

    def _false_alarms(self) -> Generator[Event, Any, None]:
        """Raise the false alarms at their times: checked, or a worker is sent."""
        env = self.env
        times, places, draws = self._false
        for j, (t, c) in enumerate(zip(times, places, strict=True)):
            if t > env.now:
                yield env.timeout(t - env.now)
            counted = t >= self._warmup
            self.false_alarms += counted
            if self.camera:
                minutes = self._check(float(draws[j, 0]))
                if counted:
                    self.checks += 1
                    self.check_minutes += minutes
                if draws[j, 1] < self._catch:
                    self.false_filtered += counted
                    continue
            if self.board is not None:
                self.board.post(Task(TaskKind.FALSE_ALARM, c, self._visit(float(draws[j, 2]))))
