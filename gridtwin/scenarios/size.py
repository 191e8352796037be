"""How big a run will be, estimated from the scenario alone, before anything is built.

A scenario's rates, population and horizon fix the expected number of cases; the channels'
staffing and the patrols fix the rest of the work. :func:`estimate_size` turns them into
expected cases, SimPy events, peak memory and run time, with per-unit costs measured on the
district-year benchmark (``benchmarks/bench_district.py``: 1.02 million cases, 7.5 million
events, 1.2 GB peak, about 40 s on one core). :func:`size_problem` refuses a run whose memory
would not fit on this machine, or that would run for more than a day, unless the caller
allows large runs explicitly (``gridtwin run --allow-large``).

The figures are estimates (within a factor of about two): they are meant to stop a run that
could never finish, not to plan one to the second.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pyproj import Geod

from gridtwin.scenarios.checks import Problem
from gridtwin.scenarios.discovery_checks import sends_call_outs
from gridtwin.scenarios.schema import AdminItem, AgeGroup, HiddenNeed, Scenario, UrbanEvent

__all__ = [
    "SizeEstimate",
    "available_memory",
    "estimate_size",
    "expected_cases",
    "parse_bytes",
    "size_problem",
]

DAYS_PER_YEAR = 365.0
EVENTS_PER_CASE = 6.0
"""SimPy events per case (contact delay, intake, dispatch, trips, processing...)."""
EVENTS_PER_BOUNCE = 4.0
"""SimPy events a bounce adds (inbox lag, the wrong department's queue and review, another
dispatch)."""
EVENTS_PER_EXPERT_CALL = 1.0
"""SimPy events an expert's call at a comprehensive window adds."""
EVENTS_PER_WORKER_DAY = 13.0
"""SimPy events per grid worker per simulated day (visits and travel)."""
BASE_BYTES = 250e6
"""Interpreter, libraries and the built model before any case."""
BYTES_PER_CASE = 1_000.0
"""Case row, event-log records and the transient objects of an open case."""
BYTES_PER_RESIDENT = 48.0
BYTES_PER_SERVER = 200.0
"""A hotline seat, window, kiosk terminal or member of staff in a server pool."""
BYTES_PER_WORKER = 20_000.0
"""A grid worker: Mesa agent, SimPy process, route and samplers."""
EVENTS_PER_SECOND = 180_000.0
MAX_SECONDS = 24 * 3600.0
"""Longest run accepted without ``--allow-large``."""
MEMORY_SHARE = 0.8
"""Share of the available memory a run may be expected to use."""


@dataclass(frozen=True, slots=True)
class SizeEstimate:
    """Expected size of one run."""

    cases: float
    events: float
    memory_bytes: float
    seconds: float

    def __str__(self) -> str:
        return (
            f"about {_count(self.cases)} cases, {_count(self.events)} events, "
            f"{_bytes(self.memory_bytes)} of memory, {_duration(self.seconds)}"
        )


def _count(n: float) -> str:
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f}"


def _bytes(n: float) -> str:
    for size, unit in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB")):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n / 1e3:.3g} kB"


def _duration(s: float) -> str:
    if s >= 2 * 86400:
        return f"{s / 86400:.3g} days"
    if s >= 2 * 3600:
        return f"{s / 3600:.3g} hours"
    if s >= 120:
        return f"{s / 60:.3g} minutes"
    return f"{max(s, 1):.2g} s" if s < 10 else f"{s:.0f} s"


def _city(s: Scenario) -> tuple[float, int]:
    """Area (km²) and number of grids of the city."""
    if s.city.synthetic is not None:
        return s.city.synthetic.area_km2, s.city.synthetic.grids
    from gridtwin.scenarios.geojson import read_cells

    geod = Geod(ellps="WGS84")
    cells = read_cells(Path(str(s.city.geojson)))
    area = sum(
        abs(geod.geometry_area_perimeter(c.geom)[0]) / 1e6 for c in cells if c.level == "community"
    )
    return area, sum(1 for c in cells if c.level == "grid")


def _surge_factor(s: Scenario, type_id: str) -> float:
    """Mean arrival multiplier of a case type over the horizon."""
    horizon = s.run.horizon_days
    extra = 0.0
    for surge in s.services.surges:
        if surge.case_types == "all" or type_id in surge.case_types:
            overlap = max(0.0, min(surge.end_day, horizon) - min(surge.start_day, horizon))
            extra += (surge.factor - 1.0) * overlap / horizon
    return max(0.0, 1.0 + extra)


def _expected_bounces(p: float, max_bounces: int) -> float:
    """Mean bounces of an order misrouted with probability ``p`` each time it is dispatched.

    A case bounces at most ``max_bounces + 1`` times (then it is closed, or the whistle is
    blown), so the count is a truncated geometric: ``p + p^2 + ... + p^(max_bounces + 1)``.
    """
    return sum(p**k for k in range(1, max_bounces + 2))


def _extra_events_per_case(s: Scenario, area_km2: float) -> float:
    """Events beyond :data:`EVENTS_PER_CASE` per case: bounces and expert calls, by volume."""
    pop = s.population
    residents = float(pop.residents)
    accuracy = s.policies.dispatch_accuracy
    max_bounces = s.policies.max_bounces
    window = s.channels.window
    expert = (
        window.enabled
        and window.mode == "comprehensive"
        and window.expert_on_call
        and window.front_desk_authority < 1.0
    )
    extra = total = 0.0
    for ct in s.services.case_types:
        if isinstance(ct, UrbanEvent):
            rate = ct.rate_per_resident_year * residents + ct.rate_per_km2_year * area_km2
            misroute = (1 - accuracy) * (1 - ct.clarity)
            extra += rate * EVENTS_PER_BOUNCE * _expected_bounces(misroute, max_bounces)
        elif isinstance(ct, AdminItem):
            rate = ct.rate_per_resident_year * residents + ct.rate_per_firm_year * pop.firms
            if expert:
                share = ct.on_the_spot_share * (1 - window.front_desk_authority)
                extra += rate * EVENTS_PER_EXPERT_CALL * share
        else:
            continue
        total += rate
    return extra / total if total > 0 else 0.0


def expected_cases(s: Scenario, area_km2: float) -> float:
    """Cases expected to arise over the whole horizon (warm-up included)."""
    pop = s.population
    residents = float(pop.residents)
    elderly = pop.age_groups.get(AgeGroup.ELDERLY)
    eligible = residents * (elderly.share * elderly.living_alone_share if elderly else 0.0)
    per_year = 0.0
    for ct in s.services.case_types:
        if isinstance(ct, HiddenNeed):
            rate = ct.rate_per_eligible_year * eligible
        elif isinstance(ct, UrbanEvent):
            rate = ct.rate_per_resident_year * residents + ct.rate_per_km2_year * area_km2
        elif isinstance(ct, AdminItem):
            rate = ct.rate_per_resident_year * residents + ct.rate_per_firm_year * pop.firms
        else:
            rate = ct.rate_per_resident_year * residents
        per_year += rate * _surge_factor(s, ct.id)
    days = per_year * s.run.horizon_days / DAYS_PER_YEAR
    typhoon = s.services.typhoon
    if typhoon is not None:  # the flood burst, within the horizon
        overlap = max(0.0, min(typhoon.end_day, s.run.horizon_days) - typhoon.start_day)
        days += typhoon.events_per_day * overlap
    return days * s.services.demand_scale


def _servers(s: Scenario) -> float:
    ch = s.channels
    seats = sum(max(spec.seats_by_hour()) for spec in (ch.hotline, ch.consultation))
    windows = ch.window.halls * (
        ch.window.windows_per_hall + sum(ch.window.specialised_windows.values())
    )
    centre = ch.window.district_centre
    if centre is not None:
        windows += centre.windows + sum(centre.specialised_windows.values())
    staff = sum(d.staff + sum(sh.staff for sh in d.shifts) for d in s.departments.values())
    staff += sum(sh.staff for sh in (*ch.hotline.shifts, *ch.consultation.shifts))
    staff += ch.window.halls * sum(sh.staff for sh in ch.window.shifts)
    staff += sum(r.hotline + sum(r.departments.values()) for r in s.staffing.surge_rosters)
    if s.policies.accountability.rework:
        staff += s.policies.accountability.rework_staff * len(s.departments)
    return float(seats + windows + ch.kiosk.terminals + staff)


def _workers(s: Scenario, grids: int) -> float:
    patrol = s.channels.patrol
    return float(grids * patrol.workers_per_grid) if patrol.enabled else 0.0


def estimate_size(s: Scenario) -> SizeEstimate:
    """Expected cases, events, peak memory and run time of one run of ``s``."""
    area, grids = _city(s)
    cases = expected_cases(s, area)
    workers = _workers(s, grids)
    per_case = EVENTS_PER_CASE + _extra_events_per_case(s, area)
    events = per_case * cases + EVENTS_PER_WORKER_DAY * workers * s.run.horizon_days
    if sends_call_outs(s):  # at most one call-out (its end: one more event) per patrol stop
        events += EVENTS_PER_WORKER_DAY * workers * s.run.horizon_days
    memory = (
        BASE_BYTES
        + BYTES_PER_CASE * cases
        + BYTES_PER_RESIDENT * s.population.residents
        + BYTES_PER_SERVER * _servers(s)
        + BYTES_PER_WORKER * workers
    )
    return SizeEstimate(cases, events, memory, events / EVENTS_PER_SECOND)


MEMORY_VARIABLE = "GRIDTWIN_MAX_MEMORY"
"""Environment variable that caps the memory a run may count on (``8GB``, ``512MB``, bytes)."""
_UNITS = {"": 1.0, "B": 1.0, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def _meminfo_available() -> float:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def _cgroup_room() -> float:
    """Memory left under this process's cgroup (v2) limit; inf where there is none."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii").strip()
        return float("inf") if limit == "max" else max(0.0, float(limit) - float(used))
    except (OSError, ValueError):
        return float("inf")


def parse_bytes(text: str) -> float:
    """``"8GB"``, ``"512 MB"`` or ``"1000000"`` as bytes.

    Raises:
        ValueError: If the text is not a positive size.
    """
    t = text.strip().upper().replace(" ", "").removesuffix("IB").removesuffix("B")
    number = t.rstrip("KMGT")
    unit = (t[len(number) :] + "B") if t[len(number) :] else ""
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise ValueError(
            f"{text!r} is not a size; write e.g. 8GB, 512MB or a number of bytes"
        ) from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{text!r} is not a positive size")
    return value


def available_memory() -> float:
    """Memory a run can count on now, in bytes.

    The least of ``MemAvailable`` (Linux), the room under the process's cgroup limit, and
    :data:`MEMORY_VARIABLE` when it is set.

    Raises:
        ValueError: If :data:`MEMORY_VARIABLE` is set to something that is not a size.
    """
    room = min(_meminfo_available(), _cgroup_room())
    cap = os.environ.get(MEMORY_VARIABLE)
    return room if not cap else min(room, parse_bytes(cap))


def size_problem(estimate: SizeEstimate, memory: float | None = None) -> Problem | None:
    """Why a run of this size would not fit (None when it fits).

    Args:
        estimate: The run's estimate.
        memory: Bytes available (default: :func:`available_memory`).
    """
    if memory is None:
        try:
            memory = available_memory()
        except ValueError as exc:
            return Problem(path=MEMORY_VARIABLE, message=str(exc))
    reasons = []
    if estimate.memory_bytes > MEMORY_SHARE * memory:
        reasons.append(
            f"needs more memory than a run can count on here ({_bytes(memory)} free; "
            f"{MEMORY_VARIABLE} lowers that)"
        )
    if estimate.seconds > MAX_SECONDS:
        reasons.append("would run for more than a day")
    if not reasons:
        return None
    return Problem(
        path="run",
        message=f"is too large: {estimate}; it {' and '.join(reasons)}. Lower the rates, the "
        "population, the staffing or run.horizon_days, or allow it deliberately with "
        "--allow-large (Python: allow_large=True)",
    )
