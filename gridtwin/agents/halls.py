"""Places a resident goes to: service-hall windows and self-service kiosks.

Going there is a trip (跑腿): the resident travels over the city's network to the nearest hall
or kiosk site, arrives when it is open, queues first come first served, and is served.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING

import numpy as np
from mypy_extensions import mypyc_attr

from gridtwin.agents.channels import Channel, Intake
from gridtwin.agents.rosters import shift_groups
from gridtwin.scenarios.calendar import MINUTES_PER_DAY
from gridtwin.scenarios.schema import ChannelKind, KiosksSpec, WindowsSpec
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case, Stage
from gridtwin.sim.sampling import quantile
from gridtwin.sim.servers import ServerPool

if TYPE_CHECKING:
    from gridtwin.model import CaseTypeInfo, GovernanceModel

__all__ = ["KioskChannel", "WindowChannel", "place_sites"]

# Enum members read for every case, bound once (see gridtwin.vocab on Python 3.11).
_TRAVEL, _QUEUE, _INTAKE = Stage.TRAVEL, Stage.QUEUE, Stage.INTAKE


def place_sites(n: int, preferred: np.ndarray, n_communities: int) -> np.ndarray:
    """Pick ``n`` distinct communities for sites: the preferred ones first, then evenly spread."""
    chosen = list(dict.fromkeys(int(c) for c in preferred[:n]))
    if len(chosen) < n:
        spread = np.linspace(0, n_communities - 1, num=min(n, n_communities)).round().astype(int)
        for c in spread:
            if len(chosen) >= n:
                break
            if int(c) not in chosen:
                chosen.append(int(c))
        rest = (c for c in range(n_communities) if c not in set(chosen))
        while len(chosen) < min(n, n_communities):
            chosen.append(next(rest))
    return np.array(chosen, dtype=np.int64)


@mypyc_attr(allow_interpreted_subclasses=True)
class _Place(Channel):
    """A channel at physical sites: travel, queue at the site, service."""

    def _setup_sites(self, model: GovernanceModel, sites: np.ndarray) -> None:
        self.sites = sites
        self.distance_km, self.nearest = model.city.distances_from(sites)
        self.speed_km_per_min = model.config.city.walking_speed_kmh / 60.0
        self.spread_min = model.config.behaviour.return_spread_h * 60.0
        self.calendar = self.spec.calendar.build()
        self.service = quantile(self.spec.service_min)

    @abstractmethod
    def _pool_for(self, community: int, info: CaseTypeInfo) -> tuple[ServerPool, float]:
        """The pool serving this case type at the nearest site that has one, and its distance.

        The distance is the network distance (km) from ``community`` to that site.
        """

    def intake(self, case: Case, info: CaseTypeInfo) -> Intake:
        """Travel to the nearest site and be served the same day, coming back if need be.

        A resident who reaches the site while it is closed comes at some time in the first
        hours it is open again. One who finds a queue that will not be served before the end
        of the day and before the site closes goes home and comes back another day: another
        trip, and the wait counted is the one of the day they are served. A site that stays
        open until their turn (a hall or kiosk open 24 hours) never sends anyone home: the
        wait recorded is the whole wait, across midnight.
        """
        env, log, code, cal = self.env, self.log, self.code, self.calendar
        pool, distance = self._pool_for(case.community, info)
        travel = distance / self.speed_km_per_min
        depart = env.now
        arrive = depart + travel
        while True:
            if not cal.is_open(arrive):
                spread = case.u(Draw.SPREAD) * self.spread_min
                arrive = cal.add_work(cal.next_open(arrive), spread)
                if arrive - travel > depart:
                    log(case.id, Stage.RETRY_WAIT, code, -1, depart, arrive - travel)
                    depart = arrive - travel
            log(case.id, _TRAVEL, code, -1, depart, arrive)
            case.trips += 1
            yield env.timeout(arrive - env.now)
            start, group = pool.earliest(arrive)
            today = arrive // MINUTES_PER_DAY
            if start // MINUTES_PER_DAY == today or cal.open_minutes(arrive, start) >= (
                start - arrive
            ):
                break  # served today, or the hall stays open until their turn (open 24 h)
            tomorrow = cal.next_open((today + 1) * MINUTES_PER_DAY)
            again = cal.add_work(tomorrow, case.u(Draw.SPREAD) * self.spread_min)
            depart = max(arrive, again - travel)
            log(case.id, Stage.RETRY_WAIT, code, -1, arrive, depart)
            arrive = depart + travel
        end = pool.commit(start, group, self.service(case.u(Draw.SERVICE)))
        log(case.id, _QUEUE, code, -1, arrive, start)
        case.waited += start - arrive
        log(case.id, _INTAKE, code, -1, start, end)
        yield env.timeout(end - arrive)
        return True


@mypyc_attr(allow_interpreted_subclasses=True)
class WindowChannel(_Place):
    """Service-hall windows, comprehensive (any item) or specialised (one department each).

    Halls stand at street centres, and a district service centre may stand beside them
    (``district_centre``): X district merged 83 department windows into 18 comprehensive
    ones, and both designs are a lever here. A resident goes to the nearest hall that serves
    the item (specialised: that has a window of the lead department).

    The design also decides what is approved on the spot (:meth:`on_spot`): a department's
    own clerk at a specialised window approves every application simple enough; a
    comprehensive front desk approves ``front_desk_authority`` of them alone and, with
    ``expert_on_call``, the rest after a call to the department's expert.
    """

    kind = ChannelKind.WINDOW

    def __init__(self, model: GovernanceModel, spec: WindowsSpec) -> None:
        super().__init__(model, spec)
        city = model.city
        sites = place_sites(spec.halls, city.street_centres, city.n_communities)
        centre = spec.district_centre
        if centre is not None:
            sites = np.append(sites, district_site(model, sites))
        self._setup_sites(model, sites)
        cal = self.calendar
        self.comprehensive = spec.mode == "comprehensive"
        self.authority = spec.front_desk_authority if self.comprehensive else 1.0
        self.expert = spec.expert_on_call and self.comprehensive
        self.expert_call = quantile(spec.expert_call_min)
        n_street = len(sites) - (centre is not None)
        shifts = shift_groups(spec.shifts)  # extra comprehensive windows in each street hall

        def windows(site: int, dept: str | None) -> int:
            if site < n_street:
                per_dept = spec.specialised_windows
                return spec.windows_per_hall if dept is None else per_dept.get(dept, 0)
            assert centre is not None
            return centre.windows if dept is None else centre.specialised_windows.get(dept, 0)

        self.routes: dict[int, tuple[list[ServerPool], np.ndarray, np.ndarray]] = {}
        """Per department code (-1 comprehensive): pools, and per community the distance
        to and the index of the nearest hall that has one."""
        depts: list[str | None] = (
            [None]
            if self.comprehensive
            else sorted(
                {*spec.specialised_windows, *(centre.specialised_windows if centre else ())}
            )
        )
        for dept in depts:
            at = [i for i in range(len(sites)) if windows(i, dept) > 0]
            if not at:
                continue
            pools = [
                ServerPool(
                    f"window/{i}/{dept or 'all'}",
                    [(windows(i, dept), cal), *(shifts if dept is None and i < n_street else ())],
                )
                for i in at
            ]
            dist, nearest = city.distances_from(sites[at])
            code = -1 if dept is None else model.department_index[dept]
            self.routes[code] = (pools, np.asarray(dist), np.asarray(nearest))
        self._routes = {
            code: (pools, dist.tolist(), nearest.tolist())
            for code, (pools, dist, nearest) in self.routes.items()
        }

    def available(self, info: CaseTypeInfo) -> bool:
        """Comprehensive windows take anything; specialised ones only their department's items."""
        return (-1 if self.comprehensive else info.department) in self.routes

    def _pool_for(self, community: int, info: CaseTypeInfo) -> tuple[ServerPool, float]:
        pools, dist, nearest = self._routes[-1 if self.comprehensive else info.department]
        return pools[nearest[community]], dist[community]

    def on_spot(self, case: Case, info: CaseTypeInfo) -> float | None:
        """Approved at the window: by the clerk alone, or after a call to the expert."""
        if case.u(Draw.AT_INTAKE) >= info.on_spot_share:
            return None
        if self.authority >= 1.0 or case.u(Draw.FRONT_DESK) < self.authority:
            return 0.0
        if self.expert:
            return self.expert_call(case.u(Draw.EXPERT))
        return None


def district_site(model: GovernanceModel, taken: np.ndarray) -> int:
    """The community nearest the district's centroid that has no street hall."""
    xy = np.asarray(model.city.community_xy, dtype=float)
    d = np.hypot(*(xy - xy.mean(axis=0)).T)
    d[np.asarray(taken, dtype=np.int64)] = np.inf
    return int(np.argmin(d)) if np.isfinite(d).any() else int(taken[0])


@mypyc_attr(allow_interpreted_subclasses=True)
class KioskChannel(_Place):
    """24 h self-service kiosks at sites in streets and malls."""

    kind = ChannelKind.KIOSK

    def __init__(self, model: GovernanceModel, spec: KiosksSpec) -> None:
        super().__init__(model, spec)
        city = model.city
        if spec.site_cells:  # set by the planner
            index = {cid: i for i, cid in enumerate(city.community_ids)}
            sites = np.array([index[cid] for cid in spec.site_cells], dtype=np.int64)
        else:  # placed automatically: street centres first
            sites = place_sites(spec.sites, city.street_centres[::-1], city.n_communities)
        self._setup_sites(model, sites)
        per_site = np.full(len(self.sites), spec.terminals // len(self.sites))
        per_site[: spec.terminals % len(self.sites)] += 1
        per_site = np.maximum(per_site, 1)
        self.pools = [
            ServerPool(f"kiosk/{i}", [(int(n), self.calendar)]) for i, n in enumerate(per_site)
        ]
        self.items = None if spec.items == "all" else set(spec.items)
        self._nearest = self.nearest.tolist()
        self._distance = self.distance_km.tolist()

    def available(self, info: CaseTypeInfo) -> bool:
        """Only the items the kiosks cover."""
        return self.items is None or info.id in self.items

    def _pool_for(self, community: int, info: CaseTypeInfo) -> tuple[ServerPool, float]:
        return self.pools[self._nearest[community]], self._distance[community]
