"""Confidence intervals over replications (gridtwin.experiments.stats)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from gridtwin.experiments.stats import mean_ci, paired_ci, replications_needed


def test_mean_ci_matches_the_t_interval():
    x = np.array([3.0, 5.0, 4.0, 6.0, 2.0])
    ci = mean_ci(x)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert ci.mean == pytest.approx(4.0)
    assert (ci.low, ci.high) == pytest.approx((low, high))
    assert ci.n == 5 and ci.excludes_zero


def test_mean_ci_degenerate_inputs():
    assert math.isnan(mean_ci([]).mean)
    one = mean_ci([2.5])
    assert one.mean == 2.5 and math.isnan(one.half_width)
    assert mean_ci([1.0, float("nan"), 3.0]).n == 2
    with pytest.raises(ValueError, match="level"):
        mean_ci([1.0, 2.0], level=1.5)


def test_paired_ci_is_narrower_than_unpaired_with_shared_noise(rng):
    noise = rng.normal(0, 5, 30)
    base, other = 10 + noise, 11 + noise + rng.normal(0, 0.2, 30)
    paired = paired_ci(base, other)
    assert paired.excludes_zero and paired.mean > 0
    unpaired = mean_ci(other).half_width + mean_ci(base).half_width
    assert paired.half_width < unpaired / 10
    with pytest.raises(ValueError, match="equal lengths"):
        paired_ci([1.0, 2.0], [1.0])


def test_replications_needed_reaches_the_half_width(rng):
    x = rng.normal(0, 2, 10)
    n = replications_needed(x, half_width=0.5)
    assert n is not None
    t = stats.t.ppf(0.975, n - 1)
    assert t * x.std(ddof=1) / math.sqrt(n) <= 0.5 + 1e-9
    assert replications_needed([1.0], 0.1) is None
    assert replications_needed([1.0, 1.0, 1.0], 0.1) == 2


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40))
def test_interval_contains_its_mean(values):
    ci = mean_ci(values)
    assert ci.low <= ci.mean <= ci.high
