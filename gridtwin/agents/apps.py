"""App sprawl on staff phones (管理空转): the same case entered into every separate app.

A department clerk who processes a case, and a grid worker who finds one on patrol, enter it
into each of ``channels.portal.staff_apps.apps`` apps; every app beyond the first costs
``entry_min`` of their working time, taken from handling. A unified portal
(``channels.portal.unified``) needs one entry. Residents' own app sprawl (the portal's
failure per extra app) is :class:`~gridtwin.agents.channels.OnlineChannel`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case
from gridtwin.sim.sampling import quantile

if TYPE_CHECKING:
    from gridtwin.scenarios.discovery_schema import StaffApps

__all__ = ["DuplicateEntry"]


class DuplicateEntry:
    """Staff minutes of duplicate entry per case.

    One number per case and entry: each extra app takes the same time for one case (the same
    fields typed again), so the work is ``(apps - 1) * entry_min`` at the case's own draw.

    Args:
        spec: ``channels.portal.staff_apps``.
        warmup: Entries started before this (minutes) are not counted in :attr:`minutes`.
    """

    __slots__ = ("_extra", "_entry", "_warmup", "minutes")

    def __init__(self, spec: StaffApps, warmup: float) -> None:
        self._extra = spec.apps - 1
        self._entry = quantile(spec.entry_min)
        self._warmup = warmup
        self.minutes = 0.0
        """Staff minutes of duplicate entry after the warm-up."""

    def work(self, case: Case, now: float) -> float:
        """Minutes to enter ``case`` into the extra apps, counted from ``now``."""
        w = self._extra * self._entry(case.u(Draw.APPS))
        if now >= self._warmup:
            self.minutes += w
        return w
