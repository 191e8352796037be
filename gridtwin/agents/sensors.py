"""IoT sensors: event sensors in communities, smart water meters of the elderly (水管家)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from gridtwin.scenarios.schema import SensorsSpec
from gridtwin.sim.sampling import quantile

if TYPE_CHECKING:
    from gridtwin.model import GovernanceModel

__all__ = ["SensorNetwork"]


class SensorNetwork(mesa.Agent):
    """Which communities have event sensors and which elderly residents have a water meter.

    Coverage is drawn once when the model is built, from the sensor stream.

    Args:
        model: The governance model.
        spec: The sensor channel's spec.
    """

    def __init__(self, model: GovernanceModel, spec: SensorsSpec) -> None:
        super().__init__(model)
        rng = model.streams.rng("sensor", "coverage")
        n_comm = model.city.n_communities
        on = spec.enabled
        self.community_covered = (rng.random(n_comm) < spec.community_coverage) & on
        pop = model.population
        self.meter = np.zeros(pop.size, dtype=bool)
        self.meter[pop.eligible] = (rng.random(len(pop.eligible)) < spec.water_meter_coverage) & on
        self.delay = quantile(spec.detect_delay_min)
        """Detection delay from a case's own uniform number."""
