"""Who reports by photo (随手拍): an uptake model of the resident who sees an event.

Without it, an open photo channel adds ``channels.photo.report_boost`` to every event's
report probability. With ``channels.photo.uptake`` the resident who sees an event (the one
who would report it) also snaps and uploads it with probability::

    logistic(asc + literacy * l + trust * t + age[a])

independently of the ordinary report decision, after ``report_delay_h``; whichever report
comes first is the one taken in, and a photo report goes to the photo channel directly (if
the upload fails the resident may fall back to the other channels as usual). So photo use
follows age, digital literacy and trust instead of a flat boost.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from gridtwin.scenarios.base import ChannelKind
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case
from gridtwin.sim.sampling import quantile
from gridtwin.vocab import AGE_GROUPS

if TYPE_CHECKING:
    from gridtwin.model import CaseTypeInfo, GovernanceModel
    from gridtwin.scenarios.discovery_schema import PhotoUptake

__all__ = ["PhotoReporters"]


class PhotoReporters:
    """The photo-uptake logit and the upload delay.

    Args:
        model: The governance model.
        spec: ``channels.photo.uptake`` (enabled).
    """

    def __init__(self, model: GovernanceModel, spec: PhotoUptake) -> None:
        pop = model.population
        self._age = pop.age_group
        self._literacy = pop.literacy
        self._trust = pop.trust
        self._intercepts = [spec.asc + spec.age.get(g, 0.0) for g in AGE_GROUPS]
        self._b_lit = spec.literacy
        self._b_trust = spec.trust
        self._delay = quantile(spec.report_delay_h, 60.0)
        self.code = model.channel_code[ChannelKind.PHOTO]

    def probability(self, row: int) -> float:
        """Probability that resident ``row`` reports an event they see by photo."""
        x = (
            self._intercepts[self._age.item(row)]
            + self._b_lit * self._literacy.item(row)
            + self._b_trust * self._trust.item(row)
        )
        return 1.0 / (1.0 + math.exp(-x))

    def delay(self, case: Case, info: CaseTypeInfo, row: int) -> float | None:
        """Minutes until ``row`` uploads a photo of the event, or None if they will not."""
        if self.code not in info.channels:
            return None
        if case.u(Draw.PHOTO) < self.probability(row):
            return self._delay(case.u(Draw.PHOTO))
        return None
