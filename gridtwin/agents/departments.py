"""Departments: staff who process cases in working hours."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from gridtwin.agents.rosters import shift_groups
from gridtwin.scenarios.schema import Department
from gridtwin.sim.cases import Case, Stage
from gridtwin.sim.servers import ServerPool

if TYPE_CHECKING:
    from gridtwin.agents.channels import Intake
    from gridtwin.model import GovernanceModel

__all__ = ["DepartmentAgent"]

# Enum members read for every case, bound once (see gridtwin.vocab on Python 3.11).
_PROCESS_WAIT = Stage.PROCESS_WAIT


class DepartmentAgent(mesa.Agent):
    """A department: a first-come-first-served pool of staff on a working calendar.

    Work pauses over closed hours: 30 minutes of work started at 17:20 ends the next working
    morning.

    Args:
        model: The governance model.
        index: The department's code (its position in the sorted department ids).
        dept_id: The department's id.
        spec: Its part of the scenario.
    """

    def __init__(self, model: GovernanceModel, index: int, dept_id: str, spec: Department) -> None:
        super().__init__(model)
        self.index = index
        self.dept_id = dept_id
        self.spec = spec
        self.calendar = spec.calendar.build()
        groups = [(spec.staff, self.calendar), *shift_groups(spec.shifts)]
        self.pool = ServerPool(dept_id, groups, pause_off_shift=True)
        self.env = model.env
        self.log = model.record

    def process(self, case: Case, work: float, stage: Stage = Stage.PROCESS) -> Intake:
        """Queue for staff and be processed (``work`` working minutes); record both stages."""
        now = self.env.now
        start, end = self.pool.reserve(now, work)
        self.log(case.id, _PROCESS_WAIT, -1, self.index, now, start)
        self.log(case.id, stage, -1, self.index, start, end)
        yield self.env.timeout(end - now)
        return True
