"""Property-based invariants over generated small scenarios (hypothesis).

Whatever the levers, a run must: lose no case, record no negative or overlapping stage,
never use a department beyond its staff, and give the same outputs for the same seed.
Scenarios are tiny.yaml with the levers redrawn.
"""

from __future__ import annotations

import copy
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridtwin.runner import RunResult, run
from gridtwin.scenarios.loader import load_scenario
from gridtwin.scenarios.schema import Scenario, cross_check

TINY = Path(__file__).parent / "data" / "tiny.yaml"
EPS = 1e-9
DEPARTMENTS = ("civil_affairs", "health", "urban_management")
TOGGLED = ("hotline", "consultation", "portal", "window", "kiosk", "patrol", "photo", "sensor")
TERMINAL = {"resolved", "closed_unresolved", "abandoned"}
PAIRS = (
    ("civil_affairs", "health"),
    ("health", "civil_affairs"),
    ("urban_management", "health"),
    ("civil_affairs", "urban_management"),
)

SETTINGS = settings(
    max_examples=int(os.environ.get("GRIDTWIN_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def _base() -> dict[str, Any]:
    return load_scenario(TINY).model_dump(mode="json", by_alias=True)


share = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """tiny.yaml with seats, staff, rates, routing, sharing, windows, channels and run redrawn."""
    d = copy.deepcopy(_base())
    ch = d["channels"]

    roster = st.lists(st.integers(0, 4), min_size=24, max_size=24).map(
        lambda v: v if max(v) > 0 else [*v[:9], 1, *v[10:]]
    )
    ch["hotline"]["seats"] = draw(st.one_of(st.integers(1, 6), roster))
    ch["hotline"]["retry_probability"] = draw(share)
    ch["hotline"]["max_attempts"] = draw(st.integers(1, 4))
    ch["consultation"]["seats"] = draw(st.integers(1, 3))
    for dept in DEPARTMENTS:
        d["departments"][dept]["staff"] = draw(st.integers(1, 5))
        if draw(st.booleans()):
            d["departments"][dept]["calendar"] = {"always": True}

    scale = draw(st.floats(min_value=0.2, max_value=4.0))
    for ct in d["services"]["case_types"]:
        for key in (
            "rate_per_resident_year",
            "rate_per_firm_year",
            "rate_per_km2_year",
            "rate_per_eligible_year",
        ):
            if key in ct:
                ct[key] *= scale
        if ct["kind"] == "event":
            ct["clarity"] = draw(share)
            ct["not_handleable_share"] = draw(st.floats(0.0, 0.3))
            ct["patrol_settle_share"] = draw(st.floats(0.0, 0.5))
        if ct["kind"] == "admin":
            ct["on_the_spot_share"] = draw(st.floats(0.0, 0.5))
        if ct["kind"] == "inquiry":
            ct["operator_resolution_share"] = draw(share)

    pol = d["policies"]
    pol["dispatch_accuracy"] = draw(share)
    pol["max_bounces"] = draw(st.integers(0, 3))
    mode = draw(st.sampled_from(["none", "pairs", "library"]))
    pol["data_sharing"]["mode"] = mode
    if mode == "pairs":
        pol["data_sharing"]["pairs"] = [list(p) for p in draw(st.sets(st.sampled_from(PAIRS)))]
    if mode == "library":
        pol["data_sharing"]["library_coverage"] = draw(share)

    if draw(st.booleans()):
        ch["window"]["mode"] = "specialised"
        depts = draw(st.sets(st.sampled_from(DEPARTMENTS), min_size=1))
        ch["window"]["specialised_windows"] = {k: draw(st.integers(1, 3)) for k in sorted(depts)}
    ch["window"]["windows_per_hall"] = draw(st.integers(1, 3))
    for name in TOGGLED:
        ch[name]["enabled"] = draw(st.booleans())
    ch["sensor"]["community_coverage"] = draw(share)
    ch["sensor"]["water_meter_coverage"] = draw(share)
    ch["patrol"]["workers_per_grid"] = draw(st.integers(0, 3))

    # The levers beyond staffing: joint handling, whistle, duplicate entry, surges, bundles.
    noise = next(ct for ct in d["services"]["case_types"] if ct["id"] == "noise")
    noise["joint_departments"] = draw(
        st.sets(st.sampled_from(["health", "civil_affairs"])).map(sorted)
    )
    pol["joint_dispatch"] = draw(st.booleans())
    pol["whistle"] = draw(st.booleans())
    pol["platforms"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        start = draw(st.floats(0.0, 5.0))
        d["services"]["surges"] = [
            {
                "start_day": start,
                "end_day": start + draw(st.floats(0.5, 5)),
                "factor": draw(st.floats(0.0, 4.0)),
            }
        ]
    if draw(st.booleans()):
        d["services"]["case_types"] += [
            {
                "id": "care_card",
                "kind": "admin",
                "lead_department": "health",
                "materials": [{"name": "residence", "issuer": "civil_affairs"}],
                "channels": ["portal", "window"],
            },
            {
                "id": "moving_in",
                "kind": "admin",
                "lead_department": "civil_affairs",
                "bundle_of": ["residence_permit", "care_card"],
                "rate_per_resident_year": draw(st.floats(0.0, 0.5)),
                "channels": ["portal", "window"],
            },
        ]
        pol["one_thing"] = draw(st.booleans())

    horizon = draw(st.integers(3, 10))
    warmup = draw(st.floats(min_value=0.0, max_value=horizon - 0.5))
    d["run"].update(
        horizon_days=float(horizon), warmup_days=warmup, seed=draw(st.integers(0, 2**32))
    )
    scenario = Scenario.model_validate(d)
    assert cross_check(scenario) == []
    return scenario


def _strings(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).cast(pa.string()).to_pylist(), dtype=object)


def check_nothing_lost(r: RunResult) -> None:
    k = r.kpis
    assert k["cases_total"] == (
        k["cases_resolved"]
        + k["cases_closed_unresolved"]
        + k["cases_abandoned"]
        + k["cases_open_at_end"]
    )
    ids = np.asarray(r.cases.column("case_id"))
    assert np.array_equal(np.sort(ids), np.arange(len(ids)))
    assert int((~np.asarray(r.cases.column("warmup"))).sum()) == k["cases_total"]
    # Every stage record belongs to a known case.
    assert set(np.unique(np.asarray(r.events.column("case_id")))) <= set(ids.tolist())
    # A case has one terminal record exactly when its outcome is not "open".
    ev_case = np.asarray(r.events.column("case_id"))
    terminal = np.isin(_strings(r.events, "stage"), list(TERMINAL))
    n_term = np.bincount(ev_case[terminal], minlength=len(ids))
    outcome = _strings(r.cases, "outcome")
    order = np.argsort(ids)
    assert np.array_equal(n_term[ids[order]], (outcome[order] != "open").astype(int))


def check_times(r: RunResult) -> None:
    ev = r.events
    case = np.asarray(ev.column("case_id"))
    start = np.asarray(ev.column("start"))
    end = np.asarray(ev.column("end"))
    assert np.all(start >= -EPS)
    assert np.all(end >= start - EPS), "a stage ends before it starts"
    stage = _strings(ev, "stage")
    terminal = np.isin(stage, list(TERMINAL))

    # Non-terminal stages of a case follow one another: each starts when the previous ends
    # (but departments that work in parallel, under joint dispatch or a one-thing bundle,
    # overlap: their processing stages are left out of this check).
    keep = ~terminal
    pol = r.scenario.policies
    if pol.joint_dispatch or pol.one_thing:
        keep &= ~np.isin(stage, ["process", "process_wait"])
    c, s, e = case[keep], start[keep], end[keep]
    same = c[1:] == c[:-1]
    bad = np.flatnonzero(same & (s[1:] < e[:-1] - EPS))
    assert len(bad) == 0, f"overlapping stages of case {c[bad[0] + 1] if len(bad) else None}"

    # The terminal record comes after every other stage of its case.
    last_end = {}
    for ci, ei in zip(c.tolist(), e.tolist(), strict=True):
        last_end[ci] = max(ei, last_end.get(ci, -np.inf))
    for ci, ti in zip(case[terminal].tolist(), start[terminal].tolist(), strict=True):
        assert ti >= last_end.get(ci, -np.inf) - EPS, f"case {ci} closed before its last stage"

    # Case-level times are ordered too.
    cases = r.cases
    arise = np.asarray(cases.column("arise"))
    reported = np.asarray(cases.column("reported"))
    closed = np.asarray(cases.column("closed"))
    assert np.all(arise >= 0)
    has = ~np.isnan(reported)
    assert np.all(reported[has] >= arise[has] - EPS)
    has = ~np.isnan(closed)
    assert np.all(closed[has] >= arise[has] - EPS)


def check_utilisation(r: RunResult) -> None:
    for dept, u in r.kpis["utilisation_by_department"].items():
        assert u is None or 0.0 <= u <= 1.0 + EPS, (dept, u)
    ts = r.timeseries
    series, key = _strings(ts, "series"), _strings(ts, "key")
    value = np.asarray(ts.column("value").to_numpy(zero_copy_only=False), dtype=float)
    for dept in r.scenario.departments:
        sel = (series == "utilisation") & (key == dept)
        assert sel.sum() > 0, f"no utilisation series for {dept}"
        v = value[sel]
        v = v[~np.isnan(v)]
        assert np.all(v >= 0.0)
        assert np.all(v <= 1.0 + EPS), (dept, float(v.max()))


@SETTINGS
@given(scenarios())
def test_invariants_hold_for_generated_scenarios(scenario: Scenario) -> None:
    r = run(scenario)
    check_nothing_lost(r)
    check_times(r)
    check_utilisation(r)


@SETTINGS
@given(scenarios())
def test_same_scenario_and_seed_give_identical_outputs(scenario: Scenario) -> None:
    a, b = run(scenario), run(scenario)
    ka = {k: v for k, v in a.kpis.items() if k != "wall_seconds"}
    kb = {k: v for k, v in b.kpis.items() if k != "wall_seconds"}
    assert ka == kb
    assert a.events.equals(b.events)
    # The case table marks missing times with NaN, and NaN != NaN in Table.equals: compare
    # through pandas, which treats NaN in the same place as equal.
    assert a.cases.schema.equals(b.cases.schema)
    assert a.cases.to_pandas().equals(b.cases.to_pandas())
