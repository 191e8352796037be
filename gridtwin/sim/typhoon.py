"""A typhoon or flood: a burst of flood events in low-lying communities, and sensor alarms.

Flooding is one of the urban events of DOMAIN.md §2, and water-level sensors that raise an
alarm are among the channels of §3. During the typhoon, extra events of the scenario's flood
type arise, most of them (``concentration``) in the communities that lie low: the ones listed
by id, or on a synthetic city the southernmost ``low_lying_share`` of communities (a river
along its southern edge). A water-level sensor in a low-lying community raises an alarm for
each flood event there after a short delay, unless someone reported or found it first. An
emergency roster (``staffing.surge_rosters`` with ``trigger: typhoon``) is switched on by the
same event.

The burst draws from streams of its own (``arrivals``/``typhoon...``), so the regular arrivals
and every other case keep their numbers with or without it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from gridtwin.scenarios.base import ChannelKind
from gridtwin.scenarios.calendar import MINUTES_PER_DAY
from gridtwin.scenarios.staffing_schema import Typhoon
from gridtwin.sim.casedraws import WIDTH, Draw
from gridtwin.sim.cases import Case
from gridtwin.sim.city import CityGrid
from gridtwin.sim.lifecycle import event_case
from gridtwin.sim.processes import CaseProcess
from gridtwin.sim.sampling import quantile

if TYPE_CHECKING:
    from gridtwin.model import GovernanceModel

__all__ = ["TyphoonSurge", "low_lying_mask"]


def low_lying_mask(city: CityGrid, spec: Typhoon) -> np.ndarray:
    """Which communities lie low (bool per community).

    The communities listed in ``low_lying``; else those a GeoJSON city flags with the
    property ``flood_risk: true``; else the southernmost ``low_lying_share`` of them.

    Raises:
        ValueError: If a listed id is not a community of the city.
    """
    n = city.n_communities
    flagged = [city.graph.nodes[c].get("flood_risk", False) for c in city.community_ids]
    if spec.low_lying:
        index = {cid: i for i, cid in enumerate(city.community_ids)}
        unknown = [c for c in spec.low_lying if c not in index]
        if unknown:
            raise ValueError(
                f"services.typhoon.low_lying: {unknown[0]!r} is not a community id of the city"
            )
        mask = np.zeros(n, dtype=bool)
        mask[[index[c] for c in spec.low_lying]] = True
        return mask
    if any(flagged):  # a GeoJSON city's flood_risk properties
        return np.array(flagged, dtype=bool)
    k = int(round(spec.low_lying_share * n))
    order = np.lexsort((np.arange(n), city.community_xy[:, 1]))  # south first, ties by index
    mask = np.zeros(n, dtype=bool)
    mask[order[:k]] = True
    return mask


class TyphoonSurge:
    """The typhoon's flood events and alarms in one run.

    Args:
        model: The governance model (case types compiled).
        spec: ``services.typhoon``.
    """

    def __init__(self, model: GovernanceModel, spec: Typhoon) -> None:
        self.model = model
        self.spec = spec
        self.start = spec.start_day * MINUTES_PER_DAY
        self.end = spec.end_day * MINUTES_PER_DAY
        self.low = low_lying_mask(model.city, spec)
        self.type_index = next(i for i, t in enumerate(model.types) if t.id == spec.case_type)
        self.alarm_delay = quantile(spec.alarm_delay_min)
        n = len(self.low)
        weights = np.full(n, (1.0 - spec.concentration) / n)
        if self.low.any():
            weights += spec.concentration * self.low / self.low.sum()
        else:
            weights = np.full(n, 1.0 / n)
        self.weights = weights / weights.sum()
        self.alarms = 0
        """Alarms raised (a flood event found by a water-level sensor)."""
        model.env.process(self._source())

    def _source(self) -> Generator[Any, Any, None]:
        m = self.model
        env = m.env
        rng = m.streams.rng("arrivals", "typhoon")
        mean = self.spec.events_per_day * (self.spec.end_day - self.spec.start_day)
        count = int(rng.poisson(mean * m.config.services.demand_scale))
        times = np.sort(rng.uniform(self.start, self.end, size=count))
        cells = rng.choice(len(self.weights), size=count, p=self.weights)
        draws = m.streams.rng("arrivals", "typhoon/cases").random((count, WIDTH))
        u_who = rng.random(count)
        yield env.timeout(self.start - env.now)
        info = m.types[self.type_index]
        for t, c, row, u in zip(times.tolist(), cells.tolist(), draws, u_who.tolist(), strict=True):
            if t >= m.horizon:
                break
            case = m._new_case(self.type_index, c, -1, t, row.tolist(), 0)
            CaseProcess(env, event_case(m, case, info, u), t - env.now)
            if self.spec.alarms and self.low[c]:
                env.process(self._alarm(case))

    def _alarm(self, case: Case) -> Generator[Any, Any, None]:
        """A water-level sensor reveals the event unless it is already known."""
        env = self.model.env
        yield env.timeout(case.arise + self.alarm_delay(case.u(Draw.ALARM)) - env.now)
        found = case.found
        if found is not None and not found.triggered and case.reported < 0:
            self.alarms += 1
            found.succeed((ChannelKind.SENSOR, 0.0))


def typhoon_for(model: GovernanceModel, spec: Typhoon | None) -> TyphoonSurge | None:
    """The scenario's typhoon, or None."""
    return None if spec is None else TyphoonSurge(model, spec)
