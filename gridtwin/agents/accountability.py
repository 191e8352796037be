"""Feedback and accountability: rework after bad reviews, and closing on paper under pressure.

Two mechanisms of DOMAIN.md §6 and §7:

* **Rework** (好差评 follow-up): a resident's bad review reopens a case a department handled.
  The case queues in that department's own rework queue (its rework staff, on the
  department's calendar), due within a number of working days (five, Monday to Friday, in
  X district). Rework truly solves a problem that was not solved with ``fix_probability``.
* **Three-rates pressure**: to meet the response, resolution and satisfaction targets, a
  department closes some work orders on paper instead of handling them — more often the
  later the order is or the longer its queue. The case counts as resolved in the reported
  ``resolution_rate`` but not in ``true_resolution_rate``; the resident, whose problem is
  still there, judges it as unresolved (and so reviews it badly more often, which with rework
  reopens it).

The reported outcome of a case never changes (the case table keeps what was reported); this
module keeps which cases were closed on paper and which rework fixed, for the true rate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridtwin.scenarios.calendar import MINUTES_PER_DAY, WEEKDAYS, WeeklyCalendar
from gridtwin.scenarios.staffing_schema import Accountability
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case, Outcome
from gridtwin.sim.sampling import quantile
from gridtwin.sim.servers import ServerPool

if TYPE_CHECKING:
    from gridtwin.model import CaseTypeInfo, GovernanceModel

__all__ = ["AccountabilityRules", "accountability_for"]

# Enum members read for every case, bound once (see gridtwin.vocab on Python 3.11).
_RESOLVED, _UNRESOLVED, _ABANDONED = (
    Outcome.RESOLVED,
    Outcome.CLOSED_UNRESOLVED,
    Outcome.ABANDONED,
)

_WORKING_DAYS = WeeklyCalendar.from_days_hours(WEEKDAYS[:5], ("00:00-24:00",))
"""Monday to Friday, whole days: the clock of "within 5 working days"."""


class AccountabilityRules:
    """Rework queues and paper closures of one run.

    Args:
        model: The governance model (departments built).
        spec: ``policies.accountability``.
    """

    def __init__(self, model: GovernanceModel, spec: Accountability) -> None:
        self.model = model
        self.rework_on = spec.rework
        self.pressure = spec.pressure
        self.backlog_ref = spec.pressure_backlog_h * 60.0
        self.fix_probability = spec.fix_probability
        self.limit = spec.rework_limit_days * MINUTES_PER_DAY
        self.rework_work = quantile(spec.rework_min)
        self.paper_work = quantile(spec.paper_close_min)
        self.pools: list[ServerPool] = (
            [
                ServerPool(f"rework/{d.dept_id}", [(spec.rework_staff, d.calendar)])
                for d in model.departments
            ]
            if spec.rework
            else []
        )
        self.paper: set[int] = set()
        """Cases closed on paper (reported resolved, problem not solved)."""
        self.fixed: dict[int, float] = {}
        """Cases whose problem rework solved, and when the rework ended."""
        self.reworks: list[tuple[int, float, float, float]] = []
        """Per rework: case id, bad review (reopened), end of rework, due."""

    # ----------------------------------------------------------------------- pressure
    def closes_on_paper(self, case: Case, info: CaseTypeInfo, dept: int) -> bool:
        """Whether the department closes this work order on paper instead of handling it.

        With pressure ``p`` the probability is ``p`` times how late the order is: 1 once it
        is past its promised time, else the queue ahead of it in working hours over
        ``pressure_backlog_h`` (at most 1).
        """
        if self.pressure <= 0:
            return False
        u = case.u(Draw.PAPER)
        if u >= self.pressure:  # not even at the most late (late = 1)
            return False
        m = self.model
        now = m.env.now
        since = case.reported if case.reported >= 0 else case.arise
        if now - since >= info.promised_min:
            late = 1.0
        else:
            d = m.departments[dept]
            start = d.pool.earliest(now)[0]
            late = min(1.0, d.calendar.open_minutes(now, start) / self.backlog_ref)
        if u < self.pressure * late:
            self.paper.add(case.id)
            return True
        return False

    def seen(self, case: Case, outcome: Outcome) -> Outcome:
        """The outcome the resident experiences (a paper closure leaves the problem)."""
        if outcome is _RESOLVED and case.id in self.paper:
            return _UNRESOLVED
        return outcome

    # ------------------------------------------------------------------------ rework
    def reviewed(self, case: Case, outcome: Outcome, rating: int) -> None:
        """After the review: a bad one reopens a case a department handled, for rework."""
        if not self.rework_on or rating != 0 or case.department < 0:
            return
        if outcome is _ABANDONED:
            return
        now = self.model.env.now
        start, end = self.pools[case.department].reserve(now, self.rework_work(case.u(Draw.REWORK)))
        due = _WORKING_DAYS.add_work(now, self.limit)
        self.reworks.append((case.id, now, end, due))
        unsolved = outcome is not _RESOLVED or case.id in self.paper
        if unsolved and case.u(Draw.FIX) < self.fix_probability:
            self.fixed[case.id] = end


def accountability_for(model: GovernanceModel, spec: Accountability) -> AccountabilityRules | None:
    """The scenario's accountability rules, or None when both levers are off."""
    if not spec.rework and spec.pressure <= 0:
        return None
    return AccountabilityRules(model, spec)
