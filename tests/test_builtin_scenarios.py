"""Seeded smoke tests of every built-in scenario, and a run on a GeoJSON city."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridtwin.runner import run
from gridtwin.scenarios.loader import builtin_names, load_scenario

DATA = Path(__file__).parent / "data"
CONSERVED = ("cases_resolved", "cases_closed_unresolved", "cases_abandoned", "cases_open_at_end")


def test_library_has_the_reference_scenarios():
    assert {"district", "street"} <= set(builtin_names())


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_scenario_runs(name):
    scenario = load_scenario(name)
    # district-sized scenarios (a million residents) run two days, small ones their horizon
    big = scenario.run.horizon_days > 60 or scenario.population.residents > 200_000
    days = 2 if big else None
    k = run(scenario, seed=5, days=days).kpis
    assert k["cases_total"] > 0
    assert k["cases_total"] == sum(k[key] for key in CONSERVED)
    assert k["seed"] == 5
    # Sanity bounds from the published figures the scenarios are sized on (DOMAIN §8).
    assert k["hotline_answered_within_15s"] > 0.8
    assert k["hotline_abandon_rate"] < 0.1
    assert all(0 <= u <= 1 for u in k["utilisation_by_department"].values())


def test_street_full_horizon_meets_its_targets():
    k = run("street", seed=20221).kpis
    assert k["resolution_rate"] > 0.85
    assert k["share_at_most_one_trip"] > 0.9  # 最多跑一次: 95%+ in X district (DOMAIN §6)
    assert 0.5 < k["utilisation_by_department"]["street_office"] < 1


def test_district_matches_its_scale():
    s = load_scenario("district")
    assert s.population.residents == 1_100_000
    assert s.city.synthetic is not None and s.city.synthetic.area_km2 == pytest.approx(54.93)
    k = run(s, days=1).kpis
    # about a million cases a year: a (weekday) day brings a few thousand
    assert 1_000 < k["cases_total"] < 10_000


def test_geojson_city_runs(tmp_path):
    text = (DATA / "tiny.yaml").read_text(encoding="utf-8")
    head, rest = text.split("city:", 1)
    rest = rest.split("population:", 1)[1]
    geo = (DATA / "small_city.geojson").resolve()
    (tmp_path / "geo.yaml").write_text(
        f"{head}city:\n  name: geo\n  geojson: {geo}\npopulation:{rest}", encoding="utf-8"
    )
    result = run(tmp_path / "geo.yaml", days=5)
    k = result.kpis
    assert k["cases_total"] == sum(k[key] for key in CONSERVED)
    cells = result.cells.to_pandas()
    assert set(cells["level"]) == {"community", "grid", "street"}
    assert (cells["level"] == "community").sum() == 12
