"""The governance model: builds a district from a scenario and runs it in SimPy time.

One :class:`GovernanceModel` is one run. It is a :class:`mesa.Model` holding the agents
(departments, channels, grid workers, sensors, and residents while they have open cases); time
belongs to a SimPy environment in minutes, starting on a Monday at 00:00. Every random number
comes from one :class:`~gridtwin.sim.rng.Streams` tree seeded by the run's seed.
"""

from __future__ import annotations

import gc
import math
from array import array
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from gridtwin.agents.accountability import accountability_for
from gridtwin.agents.channels import CHANNEL_ORDER, Channel
from gridtwin.agents.channels import channel_classes as channel_classes_registry
from gridtwin.agents.departments import DepartmentAgent
from gridtwin.agents.experience import ExperienceModel
from gridtwin.agents.levers import Levers
from gridtwin.agents.population import Population, build_population
from gridtwin.agents.residents import ChoiceModel, ResidentRegistry
from gridtwin.agents.rosters import SurgeRosters
from gridtwin.agents.sensors import SensorNetwork
from gridtwin.agents.workers import GridWorker
from gridtwin.scenarios.calendar import MINUTES_PER_DAY, MINUTES_PER_WEEK
from gridtwin.scenarios.schema import (
    AdminItem,
    CaseKind,
    ChannelKind,
    DiscoveryMode,
    HiddenNeed,
    Inquiry,
    Scenario,
    UrbanEvent,
)
from gridtwin.sim.arrivals import ArrivalProcess
from gridtwin.sim.casedraws import WIDTH, Draw, Prefetch, keyed_uniforms
from gridtwin.sim.cases import TERMINAL_STAGE, Case, Outcome
from gridtwin.sim.city import CityGrid, build_city
from gridtwin.sim.errors import ConservationError
from gridtwin.sim.eventlog import CaseTable, EventLog
from gridtwin.sim.levels import handovers_for
from gridtwin.sim.lifecycle import apply_start, event_case, need_case
from gridtwin.sim.patrol import PatrolLists
from gridtwin.sim.processes import CaseProcess
from gridtwin.sim.rng import Streams
from gridtwin.sim.runloop import EngineEnvironment, advance
from gridtwin.sim.sampling import QuantileFn, quantile
from gridtwin.sim.servers import ServerPool
from gridtwin.sim.typhoon import typhoon_for

__all__ = ["CaseTypeInfo", "GovernanceModel"]

# Enum members read for every case, bound once (see gridtwin.vocab on Python 3.11).
_EVENT, _HIDDEN, _PHOTO = CaseKind.EVENT, CaseKind.HIDDEN, ChannelKind.PHOTO


@contextmanager
def _rare_garbage_collection() -> Iterator[None]:
    """Collect garbage rarely while the engine runs.

    A run allocates millions of short-lived generators and events but creates almost no
    reference cycles; the collector's default thresholds made it sweep the long-lived objects
    over and over (a quarter of the run time in a district-year). The young generation is
    collected once a million more container objects are alive than at the last collection:
    a district-year holds about 350,000, so a run collects only if its live objects grow far
    beyond that (each collection of a few hundred thousand live objects costs a tenth of a
    second and, in a district run, finds nothing). Thresholds are restored after.
    """
    saved = gc.get_threshold()
    gc.set_threshold(1_000_000, 20, 1_000)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


@dataclass(slots=True)
class CaseTypeInfo:
    """A case type compiled for the engine: codes instead of names, samplers ready."""

    index: int
    id: str
    kind: CaseKind
    department: int
    """Lead or responsible department code (-1: none)."""
    handling: QuantileFn
    channels: tuple[int, ...] = ()
    """Codes of the channels open to it, after policies and availability."""
    materials: tuple[int, ...] = ()
    """Issuer codes of the materials not issued by the lead department."""
    in_library: tuple[bool, ...] = ()
    """Per material: named in the certificate library (by name or issuer)."""
    on_spot_share: float = 0.0
    settle_share: float = 0.0
    not_handleable: float = 0.0
    misroute_probability: float = 0.0
    report_probability: float = 0.0
    operator_resolution_share: float = 1.0
    discover_resident: bool = False
    discover_patrol: bool = False
    discover_sensor: bool = False
    promised_min: float = 15 * MINUTES_PER_DAY
    report_delay: Callable[[float], float] = field(default=lambda u: 0.0)
    bundle: tuple[CaseTypeInfo, ...] = ()
    """The items a bundle ("one thing") needs."""
    joint: tuple[int, ...] = ()
    """Codes of the other departments that must also act on it."""


class GovernanceModel(mesa.Model):
    """One run of the twin.

    Args:
        scenario: A validated scenario.
        seed: The run's seed (defaults to the scenario's ``run.seed``).
        base_dir: Where relative paths in the scenario (GeoJSON) are resolved.
        city: A city already built from the same spec (saves rebuilding it across runs).
        channel_classes: Replacement channel classes by kind (a new intake rule is a new
            :class:`~gridtwin.agents.channels.Channel` subclass passed here; the engine does
            not change).
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        base_dir: Path | None = None,
        city: CityGrid | None = None,
        channel_classes: Mapping[ChannelKind, type[Channel]] | None = None,
    ) -> None:
        self.seed_value = scenario.run.seed if seed is None else int(seed)
        self.streams = Streams(self.seed_value)
        super().__init__(rng=self.streams.rng("mesa"))
        self.config = scenario
        """The scenario this run was built from (``Model.scenario`` is Mesa's own, from 3.5)."""
        self.env = EngineEnvironment()
        self.log = EventLog()
        self.record = self.log.recorder()
        """Write one stage record: ``record(case_id, stage, channel, department, start, end)``."""
        self.cases = CaseTable()
        self.horizon = scenario.run.horizon_days * MINUTES_PER_DAY
        self.warmup = scenario.run.warmup_days * MINUTES_PER_DAY
        self.events_processed = 0
        self.cases_created = 0
        self.open: dict[int, Case] = {}
        self.trust_track: list[list[float]] = []
        """Mean trust per age group, then over everyone: at the start, then after each hour
        (word of mouth told)."""

        self.city = city if city is not None else build_city(scenario.city, base_dir)
        self.population: Population = build_population(
            scenario.population, self.city.community_weight, self.streams.rng("population")
        )
        self.department_ids = tuple(sorted(scenario.departments))
        self.department_index = {d: i for i, d in enumerate(self.department_ids)}
        self.departments = [
            DepartmentAgent(self, i, d, scenario.departments[d])
            for i, d in enumerate(self.department_ids)
        ]
        self._build_channels({**channel_classes_registry(), **(channel_classes or {})})
        self.residents = ResidentRegistry(self)
        self.sensors = SensorNetwork(self, scenario.channels.sensor)
        patrol = scenario.channels.patrol
        self.patrol = PatrolLists(
            self.city.n_communities, patrol.detect_probability, patrol.visit_detect_probability
        )
        """The cases waiting for a grid worker to spot them."""
        self._build_policies()
        self.types = [self._compile(i, ct) for i, ct in enumerate(scenario.services.case_types)]
        by_id = {info.id: info for info in self.types}
        for info, ct in zip(self.types, scenario.services.case_types, strict=True):
            if isinstance(ct, AdminItem):
                info.bundle = tuple(by_id[part] for part in ct.bundle_of)
        self.workers = self._build_workers()
        self.arrivals = self._build_arrivals()
        self.surges = SurgeRosters(self) if scenario.staffing.surge_rosters else None
        self.typhoon = typhoon_for(self, scenario.services.typhoon)
        self.env.process(self._source())
        self.levers = Levers(self)
        """The channel, discovery, relief and privacy levers the scenario turns on."""
        self.prefetch = self._prefetch()
        """Hashed numbers of the levers computed in bulk for each case (None: levers off)."""

    # ------------------------------------------------------------------------------ building
    def _prefetch(self) -> Prefetch | None:
        """The levers' hashed numbers that most cases draw, to compute in bulk.

        Each crossing's stall and hand-over, duplicate entry into staff apps, a paper
        closure's draw, a photo report's two.
        """
        counts: dict[int, int] = {}
        if self.handover is not None:
            counts[Draw.STALL] = counts[Draw.HANDOVER] = self.handover.crossings
        if self.levers.app_entry is not None:
            counts[Draw.APPS] = 1
        if self.accountability is not None and self.accountability.pressure > 0:
            counts[Draw.PAPER] = 1
        if self.levers.photo_uptake is not None:
            counts[Draw.PHOTO] = 2
        return Prefetch(counts) if counts else None

    def _build_channels(self, classes: Mapping[ChannelKind, type[Channel]]) -> None:
        sc = self.config.channels
        self.channel_code = {k: i for i, k in enumerate(CHANNEL_ORDER)}
        self.channel_kinds = CHANNEL_ORDER
        self.channels: dict[int, Channel] = {}
        for kind, cls in classes.items():
            spec = getattr(sc, kind.value)
            if spec.enabled:
                self.channels[self.channel_code[kind]] = cls(self, spec)
        distances = {
            code: ch.distance_km for code, ch in self.channels.items() if hasattr(ch, "distance_km")
        }
        self.choice = ChoiceModel(self.config.behaviour, distances)
        self.patrol_on = sc.patrol.enabled and sc.patrol.workers_per_grid > 0
        photo = self.channels.get(self.channel_code[_PHOTO])
        boost = photo is not None and not sc.photo.uptake.enabled  # else: the uptake model
        self._photo_boost = sc.photo.report_boost if boost else 0.0

    def seats(self, kind: ChannelKind) -> ServerPool | None:
        """The seats of the channel of this kind, if it is on and its staff are one pool.

        The phone lines' operators (:meth:`Channel.seats`); ``None`` for any other channel.
        """
        channel = self.channels.get(self.channel_code[kind])
        return channel.seats() if channel is not None else None

    def _build_policies(self) -> None:
        s = self.config
        pol, beh = s.policies, s.behaviour
        self.sharing = pol.data_sharing
        self.shared_pairs = {
            (self.department_index[a], self.department_index[b]) for a, b in self.sharing.pairs
        }
        self.max_bounces = pol.max_bounces
        self.fallback_probability = beh.fallback_probability
        # Every number a case draws is its own (Case.u, drawn at arrival): a policy that
        # changes what one case does leaves the other cases' numbers where they were
        # (common random numbers). These turn its uniform numbers into times.
        self.experience = ExperienceModel(beh.satisfaction, self.population)
        self.apply_delay = quantile(beh.apply_delay_h, 60.0)
        self.trip = quantile(beh.trip_min)
        self.fetch = quantile(self.sharing.fetch_min)
        self.dispatch = quantile(pol.dispatch_min)
        self.bounce_review = quantile(pol.bounce_review_min)
        self.bounce_lag = quantile(pol.bounce_review_lag_h, 60.0)
        self._confusion: dict[int, tuple[list[float], list[int]]] = {}
        for right, wrongs in pol.confusion.items():
            codes = [self.department_index[w] for w in wrongs]
            weights = np.cumsum(list(wrongs.values()))
            self._confusion[self.department_index[right]] = (
                (weights / weights[-1]).tolist(),
                codes,
            )
        self.whistle = pol.whistle
        self.whistle_delay = quantile(pol.whistle_min)
        self.joint_dispatch = pol.joint_dispatch
        self._extra_platforms = 0 if pol.levels.integrated else pol.platforms - 1
        self.handover = handovers_for(self, pol.levels)
        self.accountability = accountability_for(self, pol.accountability)
        self._entry = quantile(pol.entry_min)
        self.one_thing = pol.one_thing

    def _compile(
        self, index: int, ct: AdminItem | UrbanEvent | HiddenNeed | Inquiry
    ) -> CaseTypeInfo:
        s = self.config
        dept_id = getattr(ct, "lead_department", None) or getattr(ct, "department", None)
        dept = self.department_index[dept_id] if dept_id else -1
        handling = quantile(ct.handling_min)
        info = CaseTypeInfo(
            index,
            ct.id,
            CaseKind(ct.kind),
            dept,
            handling,
            promised_min=ct.promised_days * MINUTES_PER_DAY,
        )
        wanted = s.policies.channel_overrides.get(ct.id, getattr(ct, "channels", ()))
        info.channels = tuple(
            self.channel_code[k]
            for k in wanted
            if self.channel_code[k] in self.channels
            and self.channels[self.channel_code[k]].available(info)
        )
        if isinstance(ct, AdminItem):
            sharing = s.policies.data_sharing
            named = set(sharing.library_materials)
            issuers = set(sharing.library_issuers)
            needed = [m for m in ct.materials if m.issuer != ct.lead_department]
            info.materials = tuple(self.department_index[m.issuer] for m in needed)
            info.in_library = tuple(m.name in named or m.issuer in issuers for m in needed)
            info.on_spot_share = ct.on_the_spot_share
        elif isinstance(ct, UrbanEvent | HiddenNeed):
            modes = set(ct.discoverable_by)
            info.discover_patrol = DiscoveryMode.PATROL in modes
            info.discover_sensor = DiscoveryMode.SENSOR in modes
            if isinstance(ct, UrbanEvent):
                info.discover_resident = DiscoveryMode.RESIDENT in modes and bool(info.channels)
                info.settle_share = ct.patrol_settle_share
                info.not_handleable = ct.not_handleable_share
                info.misroute_probability = (1 - s.policies.dispatch_accuracy) * (1 - ct.clarity)
                info.report_probability = ct.report_probability
                info.joint = tuple(self.department_index[d] for d in ct.joint_departments)
                info.report_delay = quantile(ct.report_delay_h, 60.0)
        else:
            info.operator_resolution_share = ct.operator_resolution_share
        return info

    def _build_workers(self) -> list[GridWorker]:
        spec = self.config.channels.patrol
        workers: list[GridWorker] = []
        if not self.patrol_on:
            return workers
        for g, members in enumerate(self.city.grid_members):
            if len(members) == 0:
                continue
            route = self.city.patrol_route(members)
            for w in range(spec.workers_per_grid):
                offset = (w * len(route)) // spec.workers_per_grid
                worker = GridWorker(self, g, route, spec, start_offset=offset)
                workers.append(worker)
                self.env.process(worker.patrol())
        return workers

    def _build_arrivals(self) -> ArrivalProcess:
        s, pop, city = self.config, self.population, self.city
        residents = pop.counts().astype(float)
        eligible = pop.eligible_counts().astype(float)
        area = city.community_area_km2.astype(float)
        firms = s.population.firms
        profiles = {"flat": None, **s.services.profiles}
        totals, shapes, weights = [], [], []
        for ct in s.services.case_types:
            profile = profiles[ct.profile]
            shapes.append([1.0] * 168 if profile is None else profile.hour_of_week())
            if isinstance(ct, HiddenNeed):
                total, w = ct.rate_per_eligible_year * eligible.sum(), eligible
            elif isinstance(ct, UrbanEvent):
                by_res = ct.rate_per_resident_year * residents
                by_area = ct.rate_per_km2_year * area
                w = by_res + by_area
                total = w.sum()
            else:
                firm_rate = getattr(ct, "rate_per_firm_year", 0.0)
                total = ct.rate_per_resident_year * residents.sum() + firm_rate * firms
                w = residents
            totals.append(total * s.services.demand_scale)
            weights.append(w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w)))
        ids = [ct.id for ct in s.services.case_types]
        surges = [
            (
                surge.start_day * MINUTES_PER_DAY,
                surge.end_day * MINUTES_PER_DAY,
                np.array([surge.case_types == "all" or i in surge.case_types for i in ids]),
                surge.factor,
            )
            for surge in s.services.surges
        ]
        rngs = [self.streams.rng("arrivals", f"type/{i}") for i in ids]
        case_rngs = [self.streams.rng("arrivals", f"cases/{i}") for i in ids]
        return ArrivalProcess(
            totals, np.array(shapes), weights, rngs, surges, case_rngs=case_rngs, width=WIDTH
        )

    # ------------------------------------------------------------------------------ running
    def photo_boost(self, info: CaseTypeInfo) -> float:
        """Added report probability when residents can report this type by photo."""
        return self._photo_boost if self.channel_code[_PHOTO] in info.channels else 0.0

    def entry_work(self, case: Case) -> float:
        """Staff minutes to enter a case into the platforms beyond the first (0 with one)."""
        extra = 0.0
        for _ in range(self._extra_platforms):
            extra += self._entry(case.u(Draw.ENTRY))
        return extra

    def wrong_department(self, right: int, case: Case) -> int:
        """Where a misrouted order for ``right`` goes.

        A department its remit overlaps with (``policies.confusion``, by weight), else any
        other department alike.
        """
        confused = self._confusion.get(right)
        if confused is not None:
            cum, codes = confused
            u = case.u(Draw.WRONG)
            for c, code in zip(cum, codes, strict=True):
                if u < c:
                    return code
            return codes[-1]
        n = len(self.departments)
        if n == 1:
            return right
        k = int(case.u(Draw.WRONG) * (n - 1))
        return k if k < right else k + 1

    def _source(self) -> Any:
        """Feed arrivals into the model: drawn a week at a time, started an hour at a time.

        A week's cases are drawn and numbered when the week begins; at the start of each hour
        with arrivals, that hour's cases get their processes, each started when its case
        arises (a need: when the resident applies). No event per arrival, and the event queue
        holds an hour of waiting starts rather than a week of them (a smaller queue is a
        faster one: about 4% of a run with every lever on).
        """
        env = self.env
        t0 = 0.0
        end = math.ceil(self.horizon / 60) * 60.0
        while t0 < self.horizon:
            t1 = min(t0 + MINUTES_PER_WEEK, end)
            hour_end = t0 + 60.0
            for arise, start, process in self._week(t0, t1):
                if arise >= hour_end:
                    hour_end += 60.0 * ((arise - hour_end) // 60.0 + 1.0)
                    yield env.timeout(hour_end - 60.0 - env.now)
                CaseProcess(env, process, start - env.now)
            if t1 < self.horizon:
                yield env.timeout(t1 - env.now)
            t0 = t1

    def _week(self, t0: float, t1: float) -> list[tuple[float, float, Any]]:
        """The cases arising in ``[t0, t1)``, numbered now: ``(arises, starts, process)``."""
        pop, types = self.population, self.types
        batch = self.arrivals.draw(t0, t1)
        assert batch.draws is not None
        prefetch = self.prefetch
        rows = np.ascontiguousarray(batch.draws, dtype=np.float64)
        plan = None
        if prefetch is not None:  # room after each row for its hashed numbers, filled below
            rows = np.hstack([rows, np.zeros((len(rows), prefetch.width))])
            plan = prefetch.table
        stride = rows.shape[1]
        draws = array("d")  # the cases' own numbers, one flat row per case
        draws.frombytes(rows.tobytes())
        first_id = self.cases_created
        kept: list[int] = []
        week = []
        for i, (t, k, c, u) in enumerate(
            zip(
                batch.time.tolist(),
                batch.type_index.tolist(),
                batch.community.tolist(),
                batch.u.tolist(),
                strict=True,
            )
        ):
            if t >= self.horizon:
                break
            info = types[k]
            kind = info.kind
            if kind is _EVENT:
                row = -1
            else:
                row = pop.pick_eligible(c, u) if kind is _HIDDEN else pop.pick(c, u)
                if row < 0:
                    continue
            case = self._new_case(k, c, row, t, draws, i * stride, plan)
            kept.append(i)
            if kind is _EVENT or kind is _HIDDEN:
                week.append((t, t, event_case(self, case, info, u)))
            else:
                week.append((t, apply_start(self, case), need_case(self, case, info)))
        if prefetch is not None and kept:  # before any case starts: none has drawn them yet
            view = np.frombuffer(draws, dtype=np.float64).reshape(-1, stride)
            ids = np.arange(first_id, first_id + len(kept))
            view[kept, WIDTH:] = keyed_uniforms(self.seed_value, ids, prefetch.columns)
        return week

    def _new_case(
        self,
        type_index: int,
        community: int,
        resident: int,
        t: float,
        draws: array[float],
        at: int,
        plan: tuple[tuple[int, int], ...] | None = None,
    ) -> Case:
        case = Case(
            self.cases_created,
            type_index,
            community,
            resident,
            t,
            draws,
            self.seed_value,
            at,
            plan,
        )
        self.cases_created += 1
        self.open[case.id] = case
        return case

    def close(self, case: Case, outcome: Outcome) -> None:
        """End a case: terminal record, the verdict and trust, case row, agent released."""
        now = self.env.now
        self.record(case.id, TERMINAL_STAGE[outcome], case.channel, case.department, now, now)
        rating, satisfied, complaint = -1, -1, False
        agent = case.agent
        acc = self.accountability
        if agent is not None:
            seen = outcome if acc is None else acc.seen(case, outcome)
            info = self.types[case.type_index]
            satisfied, rating, complaint = self.experience.judge(case, info, seen, now)
            if acc is not None:
                acc.reviewed(case, outcome, rating)
            self.experience.learn(case, satisfied)
            self.residents.release(agent)
            case.agent = None
        del self.open[case.id]
        self.cases.add(case, now, outcome, rating, satisfied, complaint)

    def run(self, progress: Callable[[float], None] | None = None) -> None:
        """Run to the horizon, a simulated day at a time; then account for every case.

        Raises:
            ConservationError: If any case is unaccounted for.
        """
        env = self.env
        n = 0
        hour = 0
        track = self.trust_track
        experience = self.experience
        track.append(experience.trust_means())
        with _rare_garbage_collection():
            while hour * 60.0 < self.horizon:
                hour += 1
                until = min(hour * 60.0, self.horizon)
                n += advance(env, until)
                if hour % 24 == 0 or until >= self.horizon:
                    experience.tell()
                    if progress is not None:
                        progress(until / self.horizon)
                track.append(experience.trust_means())
        self.events_processed = n
        self._finish()

    def _finish(self) -> None:
        """Write still-open cases and check that every case is accounted for."""
        for case in list(self.open.values()):
            self.cases.add(case, -1.0, Outcome.OPEN, -1)
        n_open = len(self.open)
        self.open.clear()
        if len(self.cases) != self.cases_created:
            raise ConservationError(
                f"{self.cases_created} cases entered but {len(self.cases)} are accounted for "
                f"({n_open} open at the end)"
            )
        ids = self.cases.ids()
        if len(np.unique(ids)) != len(ids):
            raise ConservationError("a case was closed twice")
