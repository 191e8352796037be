"""Vertical levels: a work order re-entered at each level it crosses, unless platforms join.

"City data cannot get down, grassroots data cannot get up": many streets run their own
platforms beside the city's, so an order dispatched from the city hotline to a street's
department is re-entered by the district, the street, the community (DOMAIN.md §1, §5). Each
crossing is a hand-over in the receiving level's working hours; some stall until someone
chases them. A stalled hand-over is time, never a lost case: the case waits and goes on.
With integrated platforms the order is entered once (no hand-overs, no duplicate entry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridtwin.scenarios.staffing_schema import Levels
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case, Stage
from gridtwin.sim.sampling import quantile

if TYPE_CHECKING:
    from gridtwin.model import GovernanceModel

__all__ = ["LevelHandovers", "handovers_for"]

# Enum members read for every case, bound once (see gridtwin.vocab on Python 3.11).
_HANDOVER, _STALLED = Stage.HANDOVER, Stage.HANDOVER_STALLED


class LevelHandovers:
    """Hand-overs between levels for every dispatched work order.

    Args:
        model: The governance model.
        spec: ``policies.levels``.
    """

    def __init__(self, model: GovernanceModel, spec: Levels) -> None:
        self.record = model.record
        self.crossings = spec.crossings
        self.stall = spec.stall_probability
        self.chase = spec.chase_after_h * 60.0
        self.entry = quantile(spec.handover_h, 60.0)
        self.calendar = spec.calendar.build()

    def cross(self, case: Case, t: float) -> float:
        """Hand the order down through every level from time ``t``; returns when it is done.

        Re-entry at each level, and a chase when a hand-over stalls. Nothing else acts on the
        order meanwhile, so the levels' times are added up on the calendar and recorded here,
        and the order waits once (one SimPy event for its dispatch and all its levels).
        """
        cal, record = self.calendar, self.record
        for _ in range(self.crossings):
            if case.u(Draw.STALL) < self.stall:
                until = cal.add_work(t, self.chase)
                record(case.id, _STALLED, -1, -1, t, until)
                t = until
            until = cal.add_work(t, self.entry(case.u(Draw.HANDOVER)))
            record(case.id, _HANDOVER, -1, -1, t, until)
            t = until
        return t


def handovers_for(model: GovernanceModel, spec: Levels) -> LevelHandovers | None:
    """The hand-overs of a scenario, or None when there are none (integrated or no levels)."""
    if spec.integrated or spec.crossings == 0:
        return None
    return LevelHandovers(model, spec)
