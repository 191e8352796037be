"""The levers beyond staffing: surges, blowing the whistle, joint dispatch, duplicate entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridtwin.runner import run, simulate
from gridtwin.scenarios.loader import ScenarioError, load_scenario

TINY = Path(__file__).parent / "data" / "tiny.yaml"


def kpis(*overrides: str, seed: int = 3, days: int = 40) -> dict:
    return simulate(load_scenario(TINY, [f"run.horizon_days={days}", *overrides]), seed=seed)


def test_a_surge_multiplies_arrivals_in_its_window_only():
    surge = "services.surges=[{start_day: 10, end_day: 20, factor: 3}]"
    base = run(load_scenario(TINY, ["run.horizon_days=30"]), seed=5).cases.to_pandas()
    more = run(load_scenario(TINY, ["run.horizon_days=30", surge]), seed=5).cases.to_pandas()

    def count(cases, a, b):
        return int(((cases["arise"] >= a * 1440) & (cases["arise"] < b * 1440)).sum())

    assert count(more, 0, 10) == count(base, 0, 10)  # before the surge: the very same draws
    ratio = count(more, 10, 20) / count(base, 10, 20)
    assert 2.4 < ratio < 3.6
    assert 0.75 < count(more, 20, 30) / count(base, 20, 30) < 1.33


def test_a_surge_of_one_type_leaves_the_others_alone():
    surge = "services.surges=[{start_day: 0, end_day: 30, factor: 4, case_types: [noise]}]"
    base = kpis(days=30)["cases_by_kind"]
    more = kpis(surge, days=30)["cases_by_kind"]
    assert more["event"] > 3 * base["event"]
    assert more["admin"] == base["admin"]


def test_a_surge_overloads_the_hotline():
    surge = "services.surges=[{start_day: 0, end_day: 40, factor: 20}]"
    one_seat = "channels.hotline.seats=1"
    assert kpis(surge, one_seat)["hotline_mean_wait_s"] > kpis(one_seat)["hotline_mean_wait_s"]


UNCLEAR = ("policies.dispatch_accuracy=0.1", "services.case_types.noise.clarity=0",
           "policies.max_bounces=0")


def test_blowing_the_whistle_resolves_what_bounced_too_often():
    without = kpis(*UNCLEAR)
    with_whistle = kpis(*UNCLEAR, "policies.whistle=true")
    assert with_whistle["cases_closed_unresolved"] < without["cases_closed_unresolved"]
    assert with_whistle["resolution_rate"] > without["resolution_rate"]


def test_whistle_shows_in_the_event_log():
    s = load_scenario(TINY, ["run.horizon_days=30", *UNCLEAR, "policies.whistle=true"])
    stages = set(run(s, seed=3).events.column("stage").to_pylist())
    assert "whistle" in stages


JOINT = ("services.case_types.noise.joint_departments=[health, civil_affairs]",
         "services.case_types.noise.rate_per_resident_year=0.3")


def test_joint_dispatch_closes_joint_cases_sooner_than_one_after_another():
    def noise_hours(joint: bool) -> float:
        s = load_scenario(TINY, ["run.horizon_days=40", *JOINT, f"policies.joint_dispatch={joint}"])
        cases = run(s, seed=6).cases.to_pandas()
        noise = cases[(cases["type"] == "noise") & (cases["outcome"] == "resolved")
                      & (cases["department"] == "urban_management")]
        return float(((noise["closed"] - noise["reported"]) / 60).mean())

    assert noise_hours(True) < noise_hours(False)


def test_joint_cases_are_processed_by_every_department():
    s = load_scenario(TINY, ["run.horizon_days=20", *JOINT, "policies.joint_dispatch=true"])
    result = run(s, seed=6)
    events = result.events.to_pandas()
    processed = events[events["stage"] == "process"].groupby("case_id")["department"].nunique()
    assert processed.max() == 3
    k = result.kpis
    assert k["cases_total"] == (k["cases_resolved"] + k["cases_closed_unresolved"]
                                + k["cases_abandoned"] + k["cases_open_at_end"])


def test_duplicate_entry_adds_work_and_time():
    one, three = kpis(), kpis("policies.platforms=3", "policies.entry_min=15")
    for dept, u in one["utilisation_by_department"].items():
        assert three["utilisation_by_department"][dept] > u, dept
    assert three["mean_time_to_close_h"] > one["mean_time_to_close_h"]


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ("services.case_types.noise.joint_departments=[parks]",
         "services.case_types[1].joint_departments[0]"),
        ("services.case_types.noise.joint_departments=[urban_management]",
         "services.case_types[1].joint_departments[0]"),
        ("services.surges=[{start_day: 1, end_day: 2, factor: 2, case_types: [nois]}]",
         "services.surges[0].case_types[0]"),
        ("services.surges=[{start_day: 3, end_day: 2, factor: 2}]", "services.surges[0]"),
    ],
)
def test_bad_levers_are_named(override, path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(TINY, [override])
    assert any(p.path == path for p in info.value.problems), str(info.value)


def bundle_scenario(one_thing: bool, tmp_path: Path) -> Path:
    import yaml

    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    data["services"]["case_types"] += [
        {"id": "care_card", "kind": "admin", "lead_department": "health",
         "materials": [{"name": "residence", "issuer": "civil_affairs"}],
         "handling_min": {"dist": "exponential", "mean": 60}, "channels": ["portal", "window"]},
        {"id": "moving_in", "kind": "admin", "lead_department": "civil_affairs",
         "bundle_of": ["residence_permit", "care_card"], "rate_per_resident_year": 0.3,
         "handling_min": 0, "channels": ["portal", "window"]},
    ]
    data["policies"] = {"one_thing": one_thing, "data_sharing": {"mode": "none"}}
    path = tmp_path / f"bundle-{one_thing}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_one_thing_means_fewer_trips_and_a_sooner_close(tmp_path):
    def bundles(one_thing: bool):
        s = load_scenario(bundle_scenario(one_thing, tmp_path), ["run.horizon_days=40"])
        cases = run(s, seed=8).cases.to_pandas()
        done = cases[(cases["type"] == "moving_in") & (cases["outcome"] == "resolved")]
        return done["trips"].mean(), ((done["closed"] - done["reported"]) / 60).mean()

    trips_separate, hours_separate = bundles(False)
    trips_once, hours_once = bundles(True)
    assert trips_once < trips_separate
    assert hours_once < hours_separate


def test_bundles_must_name_plain_admin_items(tmp_path):
    import yaml

    data = yaml.safe_load(bundle_scenario(True, tmp_path).read_text(encoding="utf-8"))
    data["services"]["case_types"][-1]["bundle_of"] = ["noise", "moving_in", "nothing"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    paths = {p.path for p in info.value.problems}
    assert {f"services.case_types[5].bundle_of[{j}]" for j in range(3)} <= paths
