"""Outcomes answer to policy: paired runs with common random numbers on ``street``.

Each test runs a policy and the scenario as built on the same seeds (every case draws its own
numbers, so the pair differs only by what the policy causes) and asserts that the 95%
confidence interval of the paired difference excludes zero in the expected direction. Three
seeds of street's four weeks (a 3-day warm-up) are enough: the measured intervals are quoted
in ``docs/model.md``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from gridtwin.experiments.stats import Interval, paired_ci
from gridtwin.runner import simulate
from gridtwin.scenarios.loader import load_scenario

SEEDS = (1, 2, 3)
ADMIN = (
    "social_security_service",
    "subsistence_allowance",
    "business_registration",
    "tax_service",
    "open_a_shop",
)


@cache
def street(overrides: tuple[str, ...], seed: int) -> dict[str, Any]:
    return simulate(load_scenario("street", overrides=list(overrides)), seed=seed)


def paired(overrides: tuple[str, ...], outcome: Any) -> Interval:
    """Paired 95% interval of ``outcome(policy) - outcome(as built)`` over the seeds."""
    base = [outcome(street((), s)) for s in SEEDS]
    other = [outcome(street(overrides, s)) for s in SEEDS]
    return paired_ci(base, other)


def elderly(key: str) -> Any:
    return lambda k: k["kpis_by_age_group"]["elderly"][key]


def test_fewer_hotline_seats_lower_satisfaction() -> None:
    policy = ("channels.hotline.seats=1",)
    assert paired(policy, lambda k: k["hotline_abandon_rate"]).low > 0.03
    ci = paired(policy, lambda k: k["satisfaction_all_rate"])
    assert ci.high < 0, ci


def test_portal_only_admin_items_lower_elderly_satisfaction_and_trust() -> None:
    policy = tuple(f"policies.channel_overrides.{item}=[portal]" for item in ADMIN)
    sat = paired(policy, elderly("satisfaction_all_rate"))
    trust = paired(policy, elderly("trust_mean_end"))
    assert sat.high < -0.05, sat
    assert trust.high < 0, trust


BAD_MONTH = (
    "channels.hotline.seats=1",
    "behaviour.patience_scale=0.3",
    "channels.portal.apps=90",
    "channels.window.windows_per_hall=1",
    "policies.dispatch_accuracy=0.2",
)


def test_a_month_of_bad_service_lowers_mean_trust() -> None:
    ci = paired(BAD_MONTH, lambda k: k["trust_mean_end"])
    assert ci.high < 0, ci
    # and trust falls over the month itself (it rises under the service as built)
    for s in SEEDS:
        bad, base = street(BAD_MONTH, s), street((), s)
        assert bad["trust_mean_end"] < bad["trust_mean_start"]
        assert base["trust_mean_end"] > base["trust_mean_start"]


@pytest.mark.parametrize("key", ["satisfaction_all_rate", "complaints"])
def test_new_outcomes_are_reported(key: str) -> None:
    k = street((), SEEDS[0])
    assert k[key] is not None
    assert key in k["kpis_by_age_group"]["elderly"]
