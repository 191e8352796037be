"""The case life cycle: one SimPy process per case, from the need to its closure.

1. a need arises (or an urban event occurs at a cell);
2. discovery: the resident reports it, a grid worker or a sensor finds it, or nobody does yet;
3. channel choice (multinomial logit) and intake; failed attempts fall back to other channels;
4. materials: each one from a department that does not share data costs a trip;
5. routing: unclear responsibility can send a work order to the wrong department (one with an
   overlapping remit, as the scenario's confusion structure says), which reviews it in its
   working hours and bounces it back (退单) for another dispatch; some orders cannot be
   handled at all;
6. processing by department staff in working hours;
7. closure: resolved, closed unresolved or abandoned; the resident rates the service and the
   rating moves their trust.

Every stage is written to the event log. The functions here decide nothing themselves that a
scenario could want to change: the agents choose, the channels queue, the departments process.
"""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
from typing import TYPE_CHECKING, Any

from gridtwin.scenarios.schema import CaseKind, ChannelKind, SharingMode
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case, Outcome, Stage
from gridtwin.sim.processes import fire

if TYPE_CHECKING:
    from simpy.events import Event

    from gridtwin.model import CaseTypeInfo, GovernanceModel

__all__ = ["apply_start", "event_case", "need_case"]

Process = Generator[Any, Any, Any]

_PATROL = ChannelKind.PATROL
_SENSOR = ChannelKind.SENSOR
_RESIDENT = "resident"
_BY_PHOTO = "resident_photo"
_ON_SPOT_CHANNELS = (ChannelKind.WINDOW, ChannelKind.KIOSK, ChannelKind.PORTAL)
_PHONE = (ChannelKind.HOTLINE, ChannelKind.CONSULTATION)
# Enum members read for every case, bound once (see gridtwin.vocab on Python 3.11).
_EVENT, _HIDDEN, _INQUIRY = CaseKind.EVENT, CaseKind.HIDDEN, CaseKind.INQUIRY
_RESOLVED, _UNRESOLVED, _ABANDONED = (
    Outcome.RESOLVED,
    Outcome.CLOSED_UNRESOLVED,
    Outcome.ABANDONED,
)
_PENDING, _DISPATCH, _ON_SPOT = Stage.PENDING, Stage.DISPATCH, Stage.ON_SPOT
_LIBRARY, _PAIRS = SharingMode.LIBRARY, SharingMode.PAIRS


def need_case(m: GovernanceModel, case: Case, info: CaseTypeInfo) -> Process:
    """An admin item, a bundle of items or an inquiry raised by a resident.

    Started (a :class:`~gridtwin.sim.processes.CaseProcess`) when the resident applies: the
    case arose at ``case.arise`` and the resident took :func:`apply_start` to act on it.
    """
    env = m.env
    case.agent = m.residents.attach(case.resident)
    m.record(case.id, _PENDING, -1, -1, case.arise, env.now)
    if info.kind is _INQUIRY:
        outcome = yield from inquiry(m, case, info)
    elif info.bundle and m.one_thing:
        outcome = yield from one_thing(m, case, info)
    elif info.bundle:
        outcome = _RESOLVED
        for part in info.bundle:  # one application after another
            outcome = yield from apply_for(m, case, part)
            if outcome is not _RESOLVED:
                break
    else:
        outcome = yield from apply_for(m, case, info)
    m.close(case, outcome)


def apply_start(m: GovernanceModel, case: Case) -> float:
    """When the resident of a need case applies: the need arises, then the apply delay."""
    return case.arise + m.apply_delay(case.u(Draw.APPLY_DELAY))


def inquiry(m: GovernanceModel, case: Case, info: CaseTypeInfo) -> Process:
    """A question: answered at intake by the operator or online, else passed to a department."""
    if not (yield from contact(m, case, info)):
        return _ABANDONED
    channel = m.channel_kinds[case.channel]
    answered_at_intake = channel in _PHONE or channel is ChannelKind.PORTAL
    if case.u(Draw.AT_INTAKE) < info.operator_resolution_share and answered_at_intake:
        return _RESOLVED
    return (yield from route(m, case, info))


def apply_for(m: GovernanceModel, case: Case, item: CaseTypeInfo) -> Process:
    """Gather the materials, apply through a channel, be approved on the spot or processed."""
    outcome, channel = yield from _apply(
        m,
        case,
        item,
        [(item.department, i, lib) for i, lib in zip(item.materials, item.in_library, strict=True)],
    )
    if outcome is not None:
        return outcome
    if channel in _PHONE:
        return (yield from route(m, case, item))
    yield from process(m, case, item, item.department)
    return _RESOLVED


def one_thing(m: GovernanceModel, case: Case, bundle: CaseTypeInfo) -> Process:
    """One application for a bundle of items ("one thing", 一件事), processed in parallel."""
    env = m.env
    needs = {
        i: (part.department, i, lib)
        for part in bundle.bundle
        for i, lib in zip(part.materials, part.in_library, strict=True)
    }
    outcome, _ = yield from _apply(m, case, bundle, list(needs.values()))
    if outcome is not None:
        return outcome
    case.department = bundle.department
    jobs = [
        env.process(m.departments[part.department].process(case, _work(m, case, part)))
        for part in bundle.bundle
    ]
    yield env.all_of(jobs)
    return _RESOLVED


def _apply(
    m: GovernanceModel, case: Case, item: CaseTypeInfo, needs: list[tuple[int, int, bool]]
) -> Process:
    """Materials, channel, intake: ``(outcome, channel)``, the outcome None if it goes on.

    It ends at intake when the resident gives up (abandoned) or the item is approved on the
    spot (resolved); otherwise the lead department has fetched the shared materials and the
    application goes on to processing.
    """
    env = m.env
    if needs:
        yield from gather_materials(m, case, needs)
    if not (yield from contact(m, case, item)):
        return _ABANDONED, None
    channel = m.channel_kinds[case.channel]
    if channel in _ON_SPOT_CHANNELS:
        approval = m.channels[case.channel].on_spot(case, item)
        if approval is not None:
            end = env.now + approval
            m.record(case.id, _ON_SPOT, case.channel, item.department, env.now, end)
            case.on_spot = True
            if approval > 0:
                yield env.timeout(approval)
            return _RESOLVED, channel
    yield from fetch_shared(m, case, item.department)
    return None, channel


def event_case(m: GovernanceModel, case: Case, info: CaseTypeInfo, u_who: float) -> Process:
    """An urban event at a cell, or a hidden need: exists until someone finds or reports it.

    Started (a :class:`~gridtwin.sim.processes.CaseProcess`) when the case arises.
    """
    env = m.env
    resident_can_report = info.discover_resident
    pending_since = case.arise
    watch = m.levers.watch
    if watch is not None and info.kind is _HIDDEN and case.resident >= 0:
        watch.add(case)  # home visits and the relief model look for it
    while True:
        found = case.found = env.event()
        when, mode = _first_known(m, case, info, resident_can_report, u_who)
        if when is not None:
            timer = env.timeout(when - env.now)
            timer.callbacks.append(partial(_reveal, found, mode))
        if info.discover_patrol and m.patrol_on:
            m.patrol.add(case, info.kind is _HIDDEN)
        mode, settle = yield found
        m.patrol.pause(case)  # found otherwise: visits from now on do not count
        now = env.now
        m.record(case.id, _PENDING, -1, -1, pending_since, now)
        if mode is _RESIDENT or mode is _BY_PHOTO:
            if case.resident < 0:
                case.resident = m.population.pick(case.community, u_who)
            agent = case.agent = m.residents.attach(case.resident)
            first = m.channel_code[ChannelKind.PHOTO] if mode is _BY_PHOTO else -1
            if (yield from contact(m, case, info, first)):
                break
            # The report failed: nobody else will call; patrol and sensors may still find it.
            m.residents.release(agent)
            case.agent = None
            resident_can_report = False
            pending_since = env.now
            continue
        case.channel = m.channel_code[mode]
        if case.reported < 0:
            case.reported = now
        case.responded = now
        if info.kind is _HIDDEN and case.resident >= 0:
            case.agent = m.residents.attach(case.resident)
        if settle > 0:
            m.record(case.id, _ON_SPOT, case.channel, -1, now, now + settle)
            case.on_spot = True
            yield env.timeout(settle)
            m.close(case, _RESOLVED)
            return
        break
    m.close(case, (yield from route(m, case, info)))


def _reveal(found: Event, mode: Any, _timer: Event) -> None:
    """A report or an alarm reveals the case at its timer's (continuous random) time."""
    if not found.triggered:
        fire(found, (mode, 0.0))


def _first_known(
    m: GovernanceModel, case: Case, info: CaseTypeInfo, resident_can_report: bool, u_who: float
) -> tuple[float | None, Any]:
    """When a resident report or a sensor will reveal the case (None: neither will)."""
    now = m.env.now
    best, mode = None, None
    if resident_can_report:
        p = info.report_probability
        row = m.population.pick(case.community, u_who)
        if row >= 0:
            p = min(1.0, p * (0.5 + m.population.trust.item(row)) + m.photo_boost(info))
            if case.u(Draw.REPORT) < p:
                best, mode = now + info.report_delay(case.u(Draw.REPORT_DELAY)), _RESIDENT
            uptake = m.levers.photo_uptake
            if uptake is not None:
                delay = uptake.delay(case, info, row)
                if delay is not None and (best is None or now + delay < best):
                    best, mode = now + delay, _BY_PHOTO
    if info.discover_sensor:
        alarms = m.levers.alarms
        if alarms is not None and info.index in alarms.typed:
            alarm = alarms.detect(case, info)
            if alarm is not None and (best is None or now + alarm < best):
                best, mode = now + alarm, _SENSOR
            return best, mode
        covered = (
            m.sensors.meter[case.resident]
            if info.kind is _HIDDEN and case.resident >= 0
            else m.sensors.community_covered[case.community]
        )
        if covered:
            t = now + m.sensors.delay(case.u(Draw.SENSOR_DELAY))
            if alarms is not None and info.kind is _EVENT:
                t += alarms.confirm(case)  # the cameras near the alarm are checked first
            if best is None or t < best:
                best, mode = t, _SENSOR
    return best, mode


def contact(m: GovernanceModel, case: Case, info: CaseTypeInfo, first: int = -1) -> Process:
    """Choose channels until one takes the case in; False if the resident gives up.

    ``first``: a channel code the resident tries first without choosing (a photo report).
    """
    env = m.env
    options = list(info.channels)
    row = case.resident
    pop = m.population
    age, literacy = pop.age_group.item(row), pop.literacy.item(row)
    while options:
        if first >= 0:
            code, first = first, -1
        else:
            code = m.choice.choose(
                case.u(Draw.CHOICE), age, literacy, pop.trust.item(row), case.community, options
            )
        if case.reported < 0:
            case.reported = env.now
        if (yield from m.channels[code].intake(case, info)):
            case.channel = code
            case.responded = env.now
            return True
        options.remove(code)
        if case.u(Draw.FALLBACK) >= m.fallback_probability:
            return False
    return False


def gather_materials(m: GovernanceModel, case: Case, needs: list[tuple[int, int, bool]]) -> Process:
    """Fetch in person every material whose issuer does not share data with the lead department.

    Args:
        m: The model.
        case: The case.
        needs: ``(lead department, issuing department, named in the library)`` per material.
    """
    env = m.env
    shared = []
    case.materials += len(needs)
    for lead, issuer, listed in needs:
        if _is_shared(m, case, lead, issuer, listed):
            shared.append(issuer)
            continue
        cal = m.departments[issuer].calendar
        start = cal.next_open(env.now)
        end = start + m.trip(case.u(Draw.TRIP))
        m.record(case.id, Stage.MATERIAL_TRIP, -1, issuer, env.now, end)
        case.trips += 1
        yield env.timeout(end - env.now)
    case.shared = tuple(shared)
    case.exempt += len(shared)


def _is_shared(m: GovernanceModel, case: Case, lead: int, issuer: int, listed: bool) -> bool:
    sharing = m.sharing
    if sharing.mode is _LIBRARY:
        u = case.u(Draw.MATERIALS)  # drawn for every material: each keeps its own number
        return listed or u < sharing.library_coverage
    if sharing.mode is _PAIRS:
        return (lead, issuer) in m.shared_pairs
    return False


def fetch_shared(m: GovernanceModel, case: Case, lead: int) -> Process:
    """The lead department fetches the shared materials itself (no trip for the resident)."""
    shared, case.shared = case.shared, ()
    if shared:
        env = m.env
        t = m.fetch(case.u(Draw.FETCH)) * len(shared)
        m.record(case.id, Stage.MATERIAL_FETCH, -1, lead, env.now, env.now + t)
        yield env.timeout(t)


def route(m: GovernanceModel, case: Case, info: CaseTypeInfo) -> Process:
    """Dispatch the work order; misrouted orders bounce back; then process. Returns the outcome."""
    env = m.env
    if info.department < 0:
        return _RESOLVED
    first = True
    while True:
        delay = m.dispatch(case.u(Draw.DISPATCH))
        m.record(case.id, _DISPATCH, case.channel, -1, env.now, env.now + delay)
        if m.handover is None:
            yield env.timeout(delay)
        else:  # levels crossed without integrated platforms: one wait for dispatch and levels
            now = env.now
            yield env.timeout(m.handover.cross(case, now + delay) - now)
        if first and case.u(Draw.ROUTE) < info.not_handleable:
            return _UNRESOLVED
        first = False
        if case.u(Draw.ROUTE) >= info.misroute_probability:
            break
        case.misrouted = True
        case.bounces += 1
        wrong = m.wrong_department(info.department, case)
        lag = m.bounce_lag(case.u(Draw.BOUNCE_LAG))
        if lag > 0:
            until = m.departments[wrong].calendar.add_work(env.now, lag)
            m.record(case.id, Stage.BOUNCE_WAIT, -1, wrong, env.now, until)
            yield env.timeout(until - env.now)
        review = m.bounce_review(case.u(Draw.REVIEW))
        yield from m.departments[wrong].process(case, review, Stage.BOUNCE)
        if case.bounces > m.max_bounces:
            if not m.whistle:
                return _UNRESOLVED
            delay = m.whistle_delay(case.u(Draw.WHISTLE))
            m.record(case.id, Stage.WHISTLE, -1, info.department, env.now, env.now + delay)
            yield env.timeout(delay)
            break
    acc = m.accountability
    if acc is not None and acc.closes_on_paper(case, info, info.department):
        case.department = info.department
        work = acc.paper_work(case.u(Draw.PAPER))
        yield from m.departments[info.department].process(case, work)
        return _RESOLVED
    yield from process(m, case, info, info.department)
    return _RESOLVED


def process(m: GovernanceModel, case: Case, info: CaseTypeInfo, dept: int) -> Process:
    """Processing by the responsible department (and any others).

    Every department also spends the time to enter the case into each extra platform.
    Departments that must act jointly work in parallel under joint dispatch (联派联办), else
    one after another, each reached by a dispatch of its own.
    """
    case.department = dept
    departments = m.departments
    if not info.joint:
        yield from departments[dept].process(case, _work(m, case, info))
    elif m.joint_dispatch:
        env = m.env
        jobs = [
            env.process(departments[d].process(case, _work(m, case, info)))
            for d in (dept, *info.joint)
        ]
        yield env.all_of(jobs)
    else:
        env = m.env
        yield from departments[dept].process(case, _work(m, case, info))
        for d in info.joint:
            delay = m.dispatch(case.u(Draw.DISPATCH))
            m.record(case.id, _DISPATCH, case.channel, -1, env.now, env.now + delay)
            yield env.timeout(delay)
            yield from departments[d].process(case, _work(m, case, info))


def _work(m: GovernanceModel, case: Case, info: CaseTypeInfo) -> float:
    """Staff minutes one department spends on the case: handling plus duplicate entry.

    Duplicate entry: into extra platforms, and into extra staff apps.
    """
    work = info.handling(case.u(Draw.HANDLING)) + m.entry_work(case)
    apps = m.levers.app_entry
    if apps is not None:
        work += apps.work(case, m.env.now)
    return work
