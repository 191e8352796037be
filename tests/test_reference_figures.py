"""The reference `district` scenario held against the published figures of the domain brief.

The figures are secondary sources (DOMAIN.md §6 and §8) used as defaults and sanity bounds, so
the bounds are deliberately loose: they catch a scenario or engine change that moves the twin
out of the range the real system was reported in, not a few percent of drift.
"""

from __future__ import annotations

import numpy as np
import pytest

from gridtwin.runner import run

DAYS = 21


@pytest.fixture(scope="module")
def district():
    return run("district", days=DAYS, seed=20221)


def test_volume_is_about_one_case_per_resident_year(district):
    k = district.kpis
    measured_days = k["horizon_days"] - k["warmup_days"]
    per_resident_year = k["cases_total"] / 1_100_000 * 365 / measured_days
    assert 0.6 < per_resident_year < 1.5  # Beijing 12345: ~1 request per resident a year (§8)


def test_hotline_meets_the_15_second_standard(district):
    k = district.kpis
    assert k["hotline_answered_within_15s"] >= 0.9  # national standard; Zhejiang 91.27% (§8)
    assert 0.002 < k["hotline_abandon_rate"] < 0.06  # Montgomery County 3.41% (§8)


def test_at_most_one_trip(district):
    assert district.kpis["share_at_most_one_trip"] >= 0.95  # X district: 95%+ (§6)


def test_most_hall_cases_are_done_on_the_spot(district):
    cases = district.cases.to_pandas()
    events = district.events.to_pandas()
    at_window = cases[(cases["kind"] == "admin") & (cases["channel"] == "window")]
    on_spot = set(events.loc[events["stage"] == "on_spot", "case_id"])
    share = at_window["case_id"].isin(on_spot).mean()
    assert 0.5 < share < 0.85  # X district: 68% of hall cases completed on the spot (§6)


def test_most_inquiries_are_answered_by_the_operator(district):
    cases = district.cases.to_pandas()
    phoned = cases[(cases["kind"] == "inquiry") & cases["channel"].isin(["hotline", "consultation"])
                   & (cases["outcome"] == "resolved")]
    answered_at_intake = phoned["department"].isna().mean()
    assert 0.7 < answered_at_intake < 0.95  # Zhejiang 83.85% resolved by the operator (§8)


def test_departments_are_busy_but_not_saturated(district):
    util = np.array(list(district.kpis["utilisation_by_department"].values()))
    assert (util > 0.4).all() and (util < 0.95).all()


def test_three_rates_are_high_but_not_perfect(district):
    k = district.kpis
    for key in ("response_rate", "resolution_rate", "satisfaction_rate"):
        assert 0.8 < k[key] < 1.0  # Beijing claims 97% resolution and satisfaction (§8)
