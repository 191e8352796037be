"""Privacy and trust (DOMAIN §7): personal data collected by sensing erodes trust.

Residents living under sensing — in a community with event sensors (of any type) or with a
smart water meter at home — see how much personal data is collected on them. At
``policies.privacy.personal_data_level`` *L* their trust drifts towards 0 by
``L * trust_drift_per_year / 365`` each day (:meth:`ExperienceModel.drift
<gridtwin.agents.experience.ExperienceModel.drift>`); experiences and word of mouth move it
as before. Lower trust then means fewer reports (report probability scales with
``0.5 + trust``) and, through the channel-choice logit, less use of the channels trust favours
(the portal and photo reports in the built-ins).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from gridtwin.scenarios.calendar import MINUTES_PER_DAY

if TYPE_CHECKING:
    from simpy.events import Event

    from gridtwin.model import GovernanceModel
    from gridtwin.scenarios.discovery_schema import Privacy

__all__ = ["TrustDrift", "sensed_residents"]


def sensed_residents(model: GovernanceModel, typed_cover: list[np.ndarray]) -> np.ndarray:
    """Rows of the residents living under sensing.

    That is: any event sensor in their community, or a water meter at home.
    """
    covered = np.asarray(model.sensors.community_covered, dtype=bool).copy()
    for c in typed_cover:
        covered |= c
    pop = model.population
    under = covered[pop.community] | model.sensors.meter
    return np.flatnonzero(under)


class TrustDrift:
    """The daily drift of the trust of residents under sensing.

    Args:
        model: The governance model.
        spec: ``policies.privacy`` (level above 0).
        rows: The residents under sensing.
    """

    def __init__(self, model: GovernanceModel, spec: Privacy, rows: np.ndarray) -> None:
        self.env = model.env
        self.experience = model.experience
        self.rows = rows
        self.under = np.zeros(model.population.size, dtype=bool)
        """The same residents as a mask over the population."""
        self.under[rows] = True
        self.factor = 1.0 - spec.personal_data_level * spec.trust_drift_per_year / 365.0
        self.experience.sense(self.under)
        self.env.process(self._daily())

    def _daily(self) -> Generator[Event, Any, None]:
        env = self.env
        while True:
            yield env.timeout(MINUTES_PER_DAY)
            self.experience.drift(self.factor)
