"""Levers for staffing and cost, vertical levels, accountability and surges.

Paired runs with common random numbers (same seeds, lever off against on) on the built-in
``street`` and ``typhoon`` scenarios with short horizons: each effect test asserts that the
95% interval of the mean paired difference excludes zero in the direction the mechanism
implies. The measured intervals are quoted in ``docs/policies.md``. Unit tests pin the roster
arithmetic, the surge calendars, the low-lying cells and the refusals of bad values.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gridtwin.agents.rosters import SpanCalendar
from gridtwin.experiments.stats import Interval, paired_ci
from gridtwin.model import GovernanceModel
from gridtwin.runner import simulate
from gridtwin.scenarios.calendar import MINUTES_PER_DAY
from gridtwin.scenarios.loader import ScenarioError, load_scenario
from gridtwin.scenarios.staffing_schema import Shift, Typhoon
from gridtwin.sim.cases import Stage
from gridtwin.sim.city import build_city
from gridtwin.sim.typhoon import low_lying_mask

TINY = Path(__file__).parent / "data" / "tiny.yaml"
SHORT = ("run.horizon_days=10",)
"""Street for ten days (a 3-day warm-up): the days after it include a Monday (day 7)."""
MONDAY_SHIFT = (
    'channels.hotline.shifts=[{name: monday, days: [mon], hours: ["08:00-22:00"], staff: 1}]'
)


@cache
def run(name: str, overrides: tuple[str, ...], seed: int) -> dict[str, Any]:
    return simulate(load_scenario(name, overrides=list(overrides)), seed=seed)


def paired(
    name: str, base: tuple[str, ...], policy: tuple[str, ...], outcome: Any, seeds: range
) -> Interval:
    """95% interval of ``outcome(base + policy) - outcome(base)`` over the seeds."""
    a = [outcome(run(name, base, s)) for s in seeds]
    b = [outcome(run(name, base + policy, s)) for s in seeds]
    return paired_ci(a, b)


# --------------------------------------------------------------------------- rosters: units
def test_a_shift_is_a_weekly_calendar_of_its_days_and_hours() -> None:
    shift = Shift(days=("mon", "sat"), hours=("08:00-12:00", "13:00-15:00"), staff=2)
    cal = shift.calendar()
    assert cal.open_minutes_per_week == 2 * 6 * 60
    assert cal.is_open(9 * 60) and not cal.is_open(MINUTES_PER_DAY + 9 * 60)
    assert cal.is_open(5 * MINUTES_PER_DAY + 14 * 60)


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ('channels.hotline.shifts=[{days: [funday], staff: 1}]', "channels.hotline.shifts[0].days"),
        ('channels.hotline.shifts=[{days: [mon], hours: ["9-17"], staff: 1}]',
         "channels.hotline.shifts[0].hours"),
        ("channels.hotline.shifts=[{days: [mon], staff: 0}]", "channels.hotline.shifts[0].staff"),
        ("channels.hotline.shifts=[{days: [mon], staff: 20000}]",
         "channels.hotline.shifts[0].staff"),
        ("channels.hotline.shifts=[{days: [], staff: 1}]", "channels.hotline.shifts[0].days"),
        ("departments.health.shifts=[{days: [sun], staff: -1}]",
         "departments.health.shifts[0].staff"),
        ("staffing.cost_per_hour.hotline=1e9", "staffing.cost_per_hour.hotline"),
        ("policies.levels.chase_after_h=0", "policies.levels.chase_after_h"),
        ("policies.accountability.fix_probability=2", "policies.accountability.fix_probability"),
        ("services.typhoon={start_day: 1, end_day: 2, case_type: noise, events_per_day: -1}",
         "services.typhoon.events_per_day"),
    ],
)
def test_bad_roster_and_lever_values_are_refused_with_their_path(override: str, path: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(TINY, [override])
    assert path in str(err.value)


def test_window_shifts_need_comprehensive_windows() -> None:
    with pytest.raises(ScenarioError, match="channels.window.shifts"):
        load_scenario(TINY, [
            "channels.window.mode=specialised", "channels.window.specialised_windows.health=1",
            'channels.window.shifts=[{days: [mon], staff: 1}]',
        ])


def test_seats_may_be_zero_when_shifts_staff_the_line() -> None:
    s = load_scenario(TINY, ["channels.hotline.seats=0",
                             'channels.hotline.shifts=[{days: [mon], staff: 1}]'])
    assert s.channels.hotline.seats == 0
    with pytest.raises(ScenarioError, match="channels.hotline"):
        load_scenario(TINY, ["channels.hotline.seats=0"])


def test_staff_hours_and_cost_follow_the_roster_arithmetic_exactly() -> None:
    """Two seats around the clock plus three on Mondays 08:00-20:00, for 14 days."""
    base = ["run.horizon_days=14", "run.warmup_days=0", "staffing.cost_per_hour.hotline=10",
            "staffing.cost_per_hour.department=20"]
    plain = simulate(load_scenario(TINY, base), seed=3)
    more = simulate(load_scenario(TINY, [
        *base,
        'channels.hotline.shifts=[{days: [mon], hours: ["08:00-20:00"], staff: 3}]',
        'departments.health.shifts=[{days: [sat, sun], hours: ["09:00-13:00"], staff: 2}]',
        'channels.window.shifts=[{days: [mon], hours: ["09:00-17:00"], staff: 2}]',
    ]), seed=3)
    assert plain["staff_hours_by_role"]["hotline"] == 2 * 24 * 14
    assert more["staff_hours_by_role"]["hotline"] == 2 * 24 * 14 + 3 * 12 * 2
    extra_dept = 2 * 4 * 4  # two staff, four hours, four weekend days
    assert more["staff_hours_by_role"]["department"] == (
        plain["staff_hours_by_role"]["department"] + extra_dept
    )
    extra_window = 2 * 8 * 2  # two clerks, eight hours, two Mondays, one hall
    assert more["staff_hours_by_role"]["window"] == (
        plain["staff_hours_by_role"]["window"] + extra_window
    )
    assert more["staff_hours"] == pytest.approx(
        plain["staff_hours"] + 72 + extra_dept + extra_window
    )
    for k in (plain, more):
        hours = k["staff_hours_by_role"]
        cost = 10 * hours["hotline"] + 20 * hours["department"]
        assert k["staff_cost"] == pytest.approx(cost)
        assert k["cost_per_case"] == pytest.approx(cost / k["cases_total"], rel=1e-6)
        assert k["cost_per_resolved_case"] == pytest.approx(cost / k["cases_resolved"], rel=1e-6)
    assert more["staff_cost"] - plain["staff_cost"] == pytest.approx(10 * 72 + 20 * extra_dept)


def test_a_span_calendar_opens_only_in_its_spans_and_never_pauses_work() -> None:
    cal = SpanCalendar([(100.0, 200.0)])
    assert cal.next_open(50) == 100 and cal.next_open(150) == 150
    assert cal.next_open(250) == float("inf")
    assert cal.add_work(190, 30) == 220  # the job started is finished
    assert cal.open_minutes(0, 1000) == 100 and cal.open_minutes(150, 1000) == 50
    cal.open_span(300, 400)
    cal.open_span(350, 500)  # extends the last span
    assert cal.spans == [(100.0, 200.0), (300.0, 500.0)]
    assert cal.minute_mask(600).sum() == 300
    with pytest.raises(ValueError, match="time order"):
        cal.open_span(0, 50)


def test_a_backlog_switches_the_surge_roster_on_and_its_hours_are_paid() -> None:
    s = load_scenario("street", [
        "run.horizon_days=7", "run.warmup_days=0", "channels.hotline.seats=1",
        "staffing.surge_rosters=[{trigger: backlog, watch: hotline, backlog_above_h: 0.02, "
        "check_every_min: 30, hold_h: 2, hotline: 2}]",
    ])
    m = GovernanceModel(s)
    m.run()
    assert m.surges is not None
    spans = m.surges.calendars[0].spans
    assert m.surges.activations[0] >= 1 and spans
    paid_h = 2 * sum(min(e, m.horizon) - s for s, e in spans) / 60
    from gridtwin.agents.rosters import staff_hours_by_role

    assert staff_hours_by_role(m)["surge"] == pytest.approx(paid_h)
    assert m.channels[0].pool.servers == 3


# ----------------------------------------------------------------- rosters: paired effects
def test_more_seats_on_monday_cut_monday_hotline_waits() -> None:
    base = (*SHORT, "channels.hotline.seats=1")
    monday = paired("street", base, (MONDAY_SHIFT,),
                    lambda k: k["hotline_mean_wait_by_weekday_s"]["mon"], range(1, 7))
    assert monday.high < 0, monday
    tuesday = paired("street", base, (MONDAY_SHIFT,),
                     lambda k: k["hotline_mean_wait_by_weekday_s"]["tue"], range(1, 7))
    assert abs(tuesday.mean) < abs(monday.mean) / 5, (monday, tuesday)
    hours = paired("street", base, (MONDAY_SHIFT,),
                   lambda k: k["staff_hours_by_role"]["hotline"], range(1, 7))
    assert hours.mean == pytest.approx(14.0)  # one seat, 14 hours, one Monday after warm-up


def test_the_emergency_roster_clears_the_typhoon_backlog_faster() -> None:
    base = ("run.horizon_days=16",)
    off = ("staffing.surge_rosters=[]",)
    clear = paired("typhoon", base, off, lambda k: k["typhoon_backlog_clear_h"], range(1, 4))
    assert clear.low > 12, clear  # without the roster the backlog takes more than 12 h longer
    close = paired("typhoon", base, off, lambda k: k["typhoon_mean_time_to_close_h"],
                   range(1, 4))
    assert close.low > 0, close
    hours = paired("typhoon", base, off, lambda k: k["staff_hours"], range(1, 4))
    assert hours.mean == pytest.approx(-10 * (48 + 72))  # ten surge staff, 2 days + 72 h


def test_typhoon_events_fall_in_low_lying_cells_and_raise_alarms() -> None:
    k = run("typhoon", ("run.horizon_days=16",), 1)
    assert k["typhoon_alarms"] > 0
    assert k["typhoon_cases"] > 0
    s = load_scenario("typhoon")
    city = build_city(s.city)
    spec = s.services.typhoon
    assert spec is not None
    low = low_lying_mask(city, spec)
    assert low.sum() == round(0.2 * city.n_communities)
    assert city.community_xy[low, 1].max() <= city.community_xy[~low, 1].min()
    named = Typhoon(start_day=1, end_day=2, case_type="flooding", events_per_day=1,
                    low_lying=city.community_ids[:2])
    assert low_lying_mask(city, named).tolist()[:3] == [True, True, False]
    with pytest.raises(ValueError, match="not a community id"):
        low_lying_mask(city, Typhoon(start_day=1, end_day=2, case_type="flooding",
                                     events_per_day=1, low_lying=("atlantis",)))


def test_a_geojson_city_flags_its_low_lying_communities(tmp_path: Path) -> None:
    from gridtwin.scenarios.geojson import CityError
    from gridtwin.scenarios.schema import City

    text = (Path(__file__).parent / "data" / "small_city.geojson").read_text(encoding="utf-8")
    flagged = text.replace('"name": "Community 2",', '"name": "Community 2", "flood_risk": true,')
    assert flagged != text
    (tmp_path / "city.geojson").write_text(flagged, encoding="utf-8")
    city = build_city(City(geojson="city.geojson"), base_dir=tmp_path)
    spec = Typhoon(start_day=1, end_day=2, case_type="flooding", events_per_day=1)
    low = low_lying_mask(city, spec)
    assert [city.community_ids[i] for i in low.nonzero()[0]] == ["c02"]
    bad = text.replace('"name": "Community 2",', '"name": "Community 2", "flood_risk": "yes",')
    (tmp_path / "bad.geojson").write_text(bad, encoding="utf-8")
    with pytest.raises(CityError, match=r"properties\.flood_risk"):
        build_city(City(geojson="bad.geojson"), base_dir=tmp_path)


# ------------------------------------------------------------------------ vertical levels
LEVELS = (*SHORT, "policies.levels.crossings=2", "policies.platforms=2")


def test_integrated_platforms_cut_time_to_close() -> None:
    ci = paired("street", LEVELS, ("policies.levels.integrated=true",),
                lambda k: k["mean_time_to_close_h"], range(1, 4))
    assert ci.high < -2, ci
    k = run("street", LEVELS, 1)
    assert k["handovers"] > 0 and k["stalled_handovers"] > 0 and k["handover_delay_h"] > 0
    assert run("street", (*LEVELS, "policies.levels.integrated=true"), 1)["handovers"] == 0


def test_a_stalled_hand_over_is_time_never_a_lost_case() -> None:
    always = (*LEVELS, "policies.levels.stall_probability=1")
    k, base = run("street", always, 2), run("street", SHORT, 2)
    # every crossing stalls first (some hand-overs are still stalled at the end of the run)
    assert k["stalled_handovers"] >= k["handovers"] > 0
    assert k["cases_total"] == base["cases_total"]  # and the run's conservation check passed
    assert k["cases_open_at_end"] > base["cases_open_at_end"]
    assert k["handover_delay_h"] >= 16  # at least one chase after 16 working hours per case



def test_hand_overs_follow_the_dispatch_back_to_back_and_the_order_waits_for_them() -> None:
    levels = (*LEVELS, "policies.levels.stall_probability=0.3")
    m = GovernanceModel(load_scenario("street", list(levels)), seed=1)
    m.run()
    ev = m.log.arrays()
    legs_of = (Stage.HANDOVER, Stage.HANDOVER_STALLED)
    chains = stalled = 0
    for cid in np.unique(ev["case"][ev["stage"] == Stage.HANDOVER])[:400].tolist():
        mine = np.flatnonzero(ev["case"] == cid)  # the case's records in the order made
        stage = ev["stage"][mine].tolist()
        for j in (j for j, st in enumerate(stage) if st == Stage.DISPATCH):
            k = j + 1
            while k < len(stage) and stage[k] in legs_of:
                k += 1
            legs = mine[j + 1 : k]
            if not len(legs):
                continue  # a joint department's own dispatch: no levels to cross
            assert stage[j + 1 : k].count(Stage.HANDOVER) == 2  # one re-entry per level
            stalled += stage[j + 1 : k].count(Stage.HANDOVER_STALLED)
            assert ev["start"][legs[0]] == ev["end"][mine[j]]  # from the dispatch's end
            assert np.all(ev["start"][legs[1:]] == ev["end"][legs[:-1]])  # back to back
            if k < len(stage):  # the next step waits for the last level (to the clock's rounding)
                assert ev["start"][mine[k]] >= ev["end"][legs[-1]] - 1e-9, Stage(stage[k])
            chains += 1
    assert chains > 100 and stalled > 10

# ------------------------------------------------------------------------ accountability
PRESSURE = (*SHORT, "policies.accountability.pressure=1")


def test_rework_after_bad_reviews_raises_true_resolution() -> None:
    ci = paired("street", PRESSURE, ("policies.accountability.rework=true",),
                lambda k: k["true_resolution_rate"], range(1, 6))
    assert ci.low > 0, ci
    k = run("street", (*PRESSURE, "policies.accountability.rework=true"), 1)
    assert k["reopened_cases"] > 0
    assert 0 < k["rework_within_limit_share"] <= 1
    assert k["staff_hours_by_role"]["rework"] > 0


def test_pressure_widens_the_gap_between_reported_and_true_resolution() -> None:
    def gap(k: dict[str, Any]) -> float:
        return float(k["resolution_rate"] - k["true_resolution_rate"])

    low = (*SHORT, "policies.accountability.pressure=0.2")
    ci = paired("street", low, ("policies.accountability.pressure=0.8",), gap, range(1, 4))
    assert ci.low > 0, ci
    plain = run("street", SHORT, 1)
    assert plain["true_resolution_rate"] == plain["resolution_rate"]
    assert plain["paper_closed_cases"] == 0


def test_levers_left_off_change_nothing() -> None:
    """Explicitly off levers give the same figures as a scenario that leaves them out."""
    plain = simulate(load_scenario(TINY, ["run.horizon_days=5"]), seed=4)
    off = simulate(load_scenario(TINY, [
        "run.horizon_days=5", "policies.levels.crossings=0", "policies.accountability.pressure=0",
        "policies.accountability.rework=false", "staffing.surge_rosters=[]",
        "channels.hotline.shifts=[]",
    ]), seed=4)
    for k in (plain, off):
        k.pop("wall_seconds")
        k.pop("scenario_sha256")
    assert plain == off
