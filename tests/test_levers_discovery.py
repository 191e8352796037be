"""Levers for channels, discovery, proactive relief and privacy: each one's effect, proved.

Paired runs with common random numbers (same seeds, lever off against on) on the built-in
``street`` scenario with a short horizon; each test asserts that the 95% interval of the mean
paired difference excludes zero in the direction the mechanism must move the outcome
(``gridtwin.experiments.stats.paired_ci``). Unit tests check the pieces; bad values are
refused with their field path (the bad-input corpus has more).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gridtwin.agents.levers import LEVER_KPI_NAMES
from gridtwin.agents.tasks import Task, TaskBoard, TaskKind
from gridtwin.experiments.stats import paired_ci
from gridtwin.model import GovernanceModel
from gridtwin.runner import run, simulate
from gridtwin.scenarios.calendar import MINUTES_PER_DAY
from gridtwin.scenarios.loader import ScenarioError, load_scenario

TINY = Path(__file__).parent / "data" / "tiny.yaml"
SEEDS = (1, 2, 3)
DAYS = 14

PORTAL_ONLY = (
    "policies.channel_overrides={social_security_service: [portal], subsistence_allowance: "
    "[portal], business_registration: [portal], tax_service: [portal]}",
)
SENSORS = (
    "channels.sensor.by_type={flooding: {coverage: 1.0, false_alarms_per_year: 150}, "
    "water_leak: {coverage: 0.5, false_alarms_per_year: 60}}",
)
SENSORS_NO_FALSE = (
    "channels.sensor.by_type={flooding: {coverage: 1.0}, water_leak: {coverage: 0.5}}",
)
NO_DOOR_KNOCKING = ("channels.patrol.visit_detect_probability=0",)
BEHIND_DOORS = ("services.case_types.household_hardship.discoverable_by=[]",)
RELIEF = ("policies.relief.enabled=true", "policies.relief.scan_interval_days=7")
HIDDEN = ("elderly_alone_incident", "household_hardship")


@cache
def street(overrides: tuple[str, ...], seed: int, days: int = DAYS) -> dict[str, Any]:
    """KPIs of one street run, plus the restricted mean time to find hidden needs (days)."""
    s = load_scenario("street", [f"run.horizon_days={days}", *overrides])
    result = run(s, seed=seed)
    cases = result.cases.to_pandas()
    hidden = cases[cases["type"].isin(HIDDEN) & (cases["arise"] >= s.run.warmup_days * 1440)]
    until = np.where(hidden["reported"] >= 0, hidden["reported"], days * MINUTES_PER_DAY)
    kpis = dict(result.kpis)
    kpis["hidden_wait_days"] = float(np.mean(until - hidden["arise"]) / MINUTES_PER_DAY)
    return kpis


def value(kpis: dict[str, Any], key: str) -> float:
    for part in key.split("."):
        kpis = kpis[part]
    return float(kpis)  # type: ignore[arg-type]


def paired(
    base: tuple[str, ...], lever: tuple[str, ...], key: str, days: int = DAYS
) -> tuple[float, float, float]:
    """Mean paired difference (lever − base) of ``key`` over the seeds, and its 95% CI."""
    a = [value(street(base, s, days), key) for s in SEEDS]
    b = [value(street(base + lever, s, days), key) for s in SEEDS]
    ci = paired_ci(a, b)
    return ci.mean, ci.low, ci.high


def up(base: tuple[str, ...], lever: tuple[str, ...], key: str, days: int = DAYS) -> None:
    mean, low, high = paired(base, lever, key, days)
    assert low > 0, f"{key}: {mean:+.4g} [{low:+.4g}, {high:+.4g}] does not exclude 0 upwards"


def down(base: tuple[str, ...], lever: tuple[str, ...], key: str, days: int = DAYS) -> None:
    mean, low, high = paired(base, lever, key, days)
    assert high < 0, f"{key}: {mean:+.4g} [{low:+.4g}, {high:+.4g}] does not exclude 0 downwards"


# ------------------------------------------------------------------------- 3. channels
ASSISTED = ("channels.portal.assisted.enabled=true",)


def test_assisted_service_raises_elderly_resolution_at_a_staff_cost():
    up(PORTAL_ONLY, ASSISTED, "kpis_by_age_group.elderly.resolution_rate")
    up(PORTAL_ONLY, ASSISTED, "assisted_staff_hours")
    up(PORTAL_ONLY, ASSISTED, "worker_visit_hours")  # grid workers' time, taken from patrol


def test_assisted_service_by_hall_staff_cuts_elderly_abandonment():
    hall = (*ASSISTED, "channels.portal.assisted.provider=hall_staff")
    down(PORTAL_ONLY, hall, "cases_abandoned")
    up(PORTAL_ONLY, hall, "assisted_staff_hours")
    assert street(PORTAL_ONLY + hall, 1)["worker_visit_hours"] == 0  # clerks, not workers


def test_app_sprawl_on_staff_phones_costs_staff_time_and_delays_closure():
    sprawl = ("channels.portal.staff_apps.apps=10",)
    up((), sprawl, "app_entry_staff_hours")
    up((), sprawl, "mean_time_to_close_h")


def test_a_unified_portal_removes_the_duplicate_entry():
    sprawl = ("channels.portal.staff_apps.apps=10",)
    unified = ("channels.portal.unified.enabled=true",)
    down(sprawl, unified, "mean_time_to_close_h")
    down(sprawl, unified, "app_entry_staff_hours")
    assert street(sprawl + unified, 1)["app_entry_staff_hours"] == 0


# ------------------------------------------------------------------------ 4. discovery
def test_false_alarms_cost_grid_workers_time():
    up(SENSORS_NO_FALSE, SENSORS, "worker_visit_hours")  # the same sensors, now with false alarms
    up(SENSORS_NO_FALSE, SENSORS, "false_alarm_visits")


def test_camera_confirmation_cuts_false_alarm_visits_at_a_small_operator_cost():
    camera = ("channels.sensor.camera_confirm.enabled=true",)
    down(SENSORS, camera, "false_alarm_visits")
    down(SENSORS, camera, "worker_visit_hours")
    up(SENSORS, camera, "camera_check_hours")
    k = street(SENSORS + camera, 1)
    assert k["camera_check_hours"] < 0.5 * street(SENSORS, 1)["worker_visit_hours"]


def test_more_frequent_home_visits_find_hidden_needs_sooner():
    monthly = (*NO_DOOR_KNOCKING, "channels.patrol.home_visits.per_month=1")
    weekly = ("channels.patrol.home_visits.per_month=4",)
    up(monthly, weekly, "hidden_needs_found_share", days=21)
    down(monthly, weekly, "hidden_wait_days", days=21)
    up(monthly, weekly, "home_visits", days=21)


def test_photo_uptake_raises_the_photo_channel_share():
    up((), ("channels.photo.uptake.enabled=true",), "photo_report_share")


def test_photo_uptake_follows_literacy_age_and_trust():
    s = load_scenario("street", ["run.horizon_days=4", "channels.photo.uptake.enabled=true"])
    m = GovernanceModel(s, seed=1)
    reporters = m.levers.photo_uptake
    assert reporters is not None
    pop = m.population
    p = np.array([reporters.probability(r) for r in range(0, pop.size, 50)])
    lit = pop.literacy[::50]
    elderly = pop.age_group[::50] == 2
    assert p[~elderly].mean() > p[elderly].mean()
    assert np.corrcoef(lit, p)[0, 1] > 0.5


# ---------------------------------------------------------------- 6. proactive relief
def test_proactive_relief_finds_more_needy_households_sooner():
    up(BEHIND_DOORS, RELIEF, "relief_found_share", days=28)
    down(BEHIND_DOORS, RELIEF, "relief_delay_days", days=28)
    up(BEHIND_DOORS, RELIEF, "relief_visits", days=28)


def test_a_lower_threshold_finds_more_with_more_false_positives():
    base = BEHIND_DOORS + RELIEF
    lower = ("policies.relief.threshold=1.0",)
    up(base, lower, "relief_false_positives", days=28)
    up(base, lower, "relief_found_share", days=28)
    for s in SEEDS:
        a, b = street(base, s, 28), street(base + lower, s, 28)
        assert b["relief_false_positives"] >= a["relief_false_positives"]
        assert a["relief_visits"] >= a["relief_false_positives"] + 0  # each one a visit spent


# ----------------------------------------------------------------- 8. privacy and trust
def test_privacy_heavy_sensing_lowers_mean_trust():
    down((), ("policies.privacy.personal_data_level=1",), "trust_mean_end")


def test_privacy_drift_touches_only_residents_under_sensing():
    s = load_scenario(
        TINY,
        [
            "run.horizon_days=3",
            "policies.privacy.personal_data_level=1",
            "channels.sensor.community_coverage=0.5",
        ],
    )
    m = GovernanceModel(s, seed=2)
    assert m.levers.drift is not None
    rows = m.levers.drift.rows
    before = m.population.trust.copy()
    m.run()
    outside = np.setdiff1d(np.arange(m.population.size), rows)
    untouched = m.population.trust[outside] == before[outside]
    assert untouched.mean() > 0.9  # only experiences and word of mouth move them
    covered = np.asarray(m.sensors.community_covered)
    assert set(np.unique(m.population.community[rows])) == set(np.flatnonzero(covered))


def test_privacy_drift_keeps_the_trust_series_sums_exact():
    """The drift moves each age group's trust sum without a pass: it stays the true sum."""
    s = load_scenario(
        TINY,
        [
            "run.horizon_days=60",
            "policies.privacy.personal_data_level=1",
            "policies.privacy.trust_drift_per_year=1",
            "channels.sensor.community_coverage=0.5",
            "behaviour.satisfaction.word_of_mouth_rate=0.5",
            "behaviour.satisfaction.word_of_mouth_contacts=4",
        ],
    )
    m = GovernanceModel(s, seed=3)
    before = m.population.trust.copy()
    m.run()
    trust, age = m.population.trust, m.population.age_group
    assert trust.mean() < 0.95 * before.mean()  # the drift moved trust
    truth = np.bincount(age, weights=trust, minlength=len(m.experience.trust_sums))
    assert np.allclose(m.experience.trust_sums, truth, rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- units
def test_every_lever_is_off_by_default_and_costs_nothing():
    k = simulate(load_scenario(TINY, ["run.horizon_days=5"]), seed=2)
    for key in LEVER_KPI_NAMES:
        assert key in k
    for key in (
        "assisted_cases",
        "false_alarms",
        "home_visits",
        "relief_visits",
        "relief_false_positives",
        "camera_checks",
    ):
        assert k[key] == 0
    assert k["worker_visit_hours"] == 0 and k["app_entry_staff_hours"] == 0
    m = GovernanceModel(load_scenario(TINY, ["run.horizon_days=5"]), seed=2)
    lv = m.levers
    assert (lv.tasks, lv.watch, lv.alarms, lv.app_entry, lv.photo_uptake, lv.drift) == (None,) * 6


ALL_ON = (
    *ASSISTED,
    *SENSORS,
    "channels.sensor.camera_confirm.enabled=true",
    "channels.patrol.home_visits.per_month=1",
    "channels.photo.uptake.enabled=true",
    "channels.portal.staff_apps.apps=5",
    *RELIEF,
    "policies.privacy.personal_data_level=0.5",
    "channels.kiosk.site_cells=[C03, C20]",
)


def test_every_lever_on_keeps_every_case_and_is_reproducible():
    s = load_scenario("street", ["run.horizon_days=8", *ALL_ON])
    a, b = run(s, seed=4), run(s, seed=4)  # run() checks conservation itself
    assert a.kpis["cases_total"] == b.kpis["cases_total"]
    for key in LEVER_KPI_NAMES:
        assert a.kpis[key] == b.kpis[key], key
    assert a.kpis["home_visits"] > 0 and a.kpis["camera_checks"] > 0
    assert a.cases.num_rows == a.kpis["cases_total"] + int(
        (a.cases.column("arise").to_numpy() < 3 * MINUTES_PER_DAY).sum()
    )


def test_kiosk_sites_can_be_set_as_cells():
    s = load_scenario("street", ["run.horizon_days=4", "channels.kiosk.site_cells=[C05, C17]"])
    m = GovernanceModel(s, seed=1)
    kiosk = next(ch for ch in m.channels.values() if ch.kind.value == "kiosk")
    ids = [m.city.community_ids[i] for i in kiosk.sites]  # type: ignore[attr-defined]
    assert ids == ["C05", "C17"]
    auto = GovernanceModel(load_scenario("street", ["run.horizon_days=4"]), seed=1)
    auto_kiosk = next(ch for ch in auto.channels.values() if ch.kind.value == "kiosk")
    assert len(auto_kiosk.sites) == 3  # type: ignore[attr-defined]


def test_a_call_out_takes_worker_time_from_patrol():
    s = load_scenario(TINY, ["run.horizon_days=3", "channels.patrol.home_visits.per_month=30"])
    with_visits = GovernanceModel(s, seed=1)
    with_visits.run()
    plain = GovernanceModel(load_scenario(TINY, ["run.horizon_days=3"]), seed=1)
    plain.run()
    assert sum(w.visits for w in with_visits.workers) < sum(w.visits for w in plain.workers)
    board = with_visits.levers.tasks
    assert board is not None and board.count[TaskKind.HOME_VISIT] > 0


def test_call_outs_count_in_the_size_estimate():
    from gridtwin.scenarios.size import estimate_size

    plain = estimate_size(load_scenario("street"))
    visits = estimate_size(load_scenario("street", ["channels.patrol.home_visits.per_month=1"]))
    assert visits.events > plain.events
    assert visits.cases == plain.cases


def test_the_task_board_counts_only_after_the_warm_up():
    m = GovernanceModel(load_scenario("street", ["run.horizon_days=5"]), seed=1)
    board = TaskBoard(m)
    task = Task(TaskKind.RELIEF, 0, 10.0)
    board.account(task, 0.0, 12.0)
    board.account(task, m.warmup + 1, 12.0)
    assert board.count[TaskKind.RELIEF] == 1 and board.minutes[TaskKind.RELIEF] == 12.0
    board.post(task)
    assert board.queues[int(m.city.community_grid[0])][0] is task


def test_relief_scores_rise_with_need_and_noise_is_fresh_per_scan():
    s = load_scenario("street", ["run.horizon_days=5", *RELIEF])
    m = GovernanceModel(s, seed=1)
    scan = m.levers.relief
    assert scan is not None
    n = len(scan.rows)
    zero = np.zeros(n)
    assert np.all(
        scan.scores(np.ones(n), zero) - scan.scores(zero, zero) == pytest.approx(scan.shift)
    )
    assert scan.shift > 0 and scan.noise_sd > 0


# ---------------------------------------------------------------------- bad values
@pytest.mark.parametrize(
    ("override", "path"),
    [
        ("channels.portal.assisted.take_up=1.5", "channels.portal.assisted.take_up"),
        ("channels.portal.assisted.provider=robot", "channels.portal.assisted.provider"),
        ("channels.portal.staff_apps.apps=0", "channels.portal.staff_apps.apps"),
        ("channels.patrol.home_visits.per_month=100", "channels.patrol.home_visits.per_month"),
        ("channels.photo.uptake.literacy=80", "channels.photo.uptake.literacy"),
        (
            "channels.sensor.camera_confirm.catch_false=-0.1",
            "channels.sensor.camera_confirm.catch_false",
        ),
        (
            "channels.sensor.by_type={noise: {false_alarms_per_year: .inf}}",
            "channels.sensor.by_type.noise.false_alarms_per_year",
        ),
        ("channels.sensor.by_type={nothing: {coverage: 0.5}}", "channels.sensor.by_type.nothing"),
        ("policies.relief.threshold=nan", "policies.relief.threshold"),
        ("policies.relief.scan_interval_days=0", "policies.relief.scan_interval_days"),
        ("policies.privacy.personal_data_level=2", "policies.privacy.personal_data_level"),
        ("channels.kiosk.site_cells=[C99]", "channels.kiosk.site_cells[0]"),
        ("channels.kiosk.site_cells=[C01, C01]", "channels.kiosk.site_cells[1]"),
    ],
)
def test_bad_lever_values_are_refused_with_their_path(override: str, path: str):
    with pytest.raises(ScenarioError) as err:
        load_scenario(TINY, [override])
    assert path in str(err.value)


def test_relief_needs_a_hidden_need_type_and_grid_workers():
    with pytest.raises(ScenarioError) as err:
        load_scenario(
            TINY,
            [
                "policies.relief.enabled=true",
                "policies.relief.case_type=noise",
                "channels.patrol.workers_per_grid=0",
            ],
        )
    text = str(err.value)
    assert "policies.relief.case_type" in text and "policies.relief.enabled" in text
    assert "elderly_help" in text  # the allowed value is named
