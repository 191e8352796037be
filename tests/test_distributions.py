"""Tests for gridtwin.scenarios.distributions: validated distributions and buffered samplers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from gridtwin.scenarios.distributions import (
    MAX_VALUE,
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Triangular,
)
from gridtwin.sim.sampling import BufferedSampler, UniformStream

ADAPTER: TypeAdapter = TypeAdapter(Distribution)
N = 200_000


def parse(value: object):
    return ADAPTER.validate_python(value)


def variance(d) -> float:
    """Analytic variance of each distribution."""
    if isinstance(d, Fixed):
        return 0.0
    if isinstance(d, Exponential):
        return d.mean**2
    if isinstance(d, LogNormal):
        return d.sd**2
    if isinstance(d, Gamma):
        return d.shape * d.scale**2
    if isinstance(d, Triangular):
        a, c, b = d.low, d.mode, d.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18
    if isinstance(d, Empirical):
        return float(np.var(d.values))
    raise TypeError(d)


CASES = [
    pytest.param({"dist": "exponential", "mean": 120}, id="exponential"),
    pytest.param({"dist": "lognormal", "mean": 150, "sd": 90}, id="lognormal"),
    pytest.param({"dist": "lognormal", "mean": 2.0, "sd": 5.0}, id="lognormal-skewed"),
    pytest.param({"dist": "gamma", "shape": 2.5, "scale": 4.0}, id="gamma"),
    pytest.param({"dist": "gamma", "shape": 0.3, "scale": 10.0}, id="gamma-small-shape"),
    pytest.param({"dist": "triangular", "low": 1, "mode": 2, "high": 7}, id="triangular"),
    pytest.param({"dist": "triangular", "low": 0, "mode": 0, "high": 3}, id="triangular-mode-low"),
    pytest.param({"dist": "empirical", "values": [1, 2, 2, 9.5, 0]}, id="empirical"),
]


# ------------------------------------------------------------------------- moments vs theory
@pytest.mark.parametrize("spec", CASES)
def test_sample_mean_matches_analytic_mean(spec: dict, rng: np.random.Generator) -> None:
    d = parse(spec)
    x = d.sample(rng, N)
    assert x.shape == (N,) and x.dtype == float
    assert np.all(x >= 0) and np.all(np.isfinite(x))
    # 5 sigma, with the larger of the analytic and sample variances (heavy tails)
    se = math.sqrt(max(variance(d), float(x.var())) / N)
    assert abs(x.mean() - d.mean) < 5 * se, (x.mean(), d.mean, se)


@pytest.mark.parametrize(("mean", "sd"), [(150.0, 90.0), (10.0, 1.0), (1.0, 2.0)])
def test_lognormal_sd_matches(mean: float, sd: float, rng: np.random.Generator) -> None:
    x = LogNormal(mean=mean, sd=sd).sample(rng, N)
    sigma2 = math.log1p((sd / mean) ** 2)
    # sample variance: Var(s^2) ~ sd^4 (K - 1) / N with the lognormal's kurtosis K
    w = math.exp(sigma2)
    kurtosis = w**4 + 2 * w**3 + 3 * w**2 - 3
    assert abs(x.var() / sd**2 - 1) < 5 * math.sqrt((kurtosis - 1) / N)
    # the log-moments are normal, so they give a much tighter check of the parametrisation
    logs = np.log(x)
    assert abs(logs.mean() - (math.log(mean) - sigma2 / 2)) < 5 * math.sqrt(sigma2 / N)
    assert abs(logs.var() - sigma2) < 5 * sigma2 * math.sqrt(2 / N)


def test_triangular_and_empirical_bounds(rng: np.random.Generator) -> None:
    x = Triangular(low=1, mode=2, high=7).sample(rng, N)
    assert x.min() >= 1 and x.max() <= 7
    e = Empirical(values=(1.0, 3.0, 3.0)).sample(rng, N)
    assert set(np.unique(e).tolist()) == {1.0, 3.0}
    assert (e == 3.0).mean() == pytest.approx(2 / 3, abs=5 * math.sqrt(2 / 9 / N))


def test_fixed_does_not_advance_the_generator() -> None:
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    assert Fixed(value=4.5).sample(a, 10).tolist() == [4.5] * 10
    assert a.random() == b.random()


def test_analytic_means() -> None:
    assert Fixed(value=3).mean == 3
    assert Exponential(mean=7).mean == 7
    assert LogNormal(mean=5, sd=2).mean == 5
    assert Gamma(shape=2, scale=3).mean == 6
    assert Triangular(low=0, mode=3, high=6).mean == 3
    assert Empirical(values=(1, 2, 6)).mean == 3


# -------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"dist": "exponential", "mean": -1}, id="exponential-negative"),
        pytest.param({"dist": "exponential", "mean": 0}, id="exponential-zero"),
        pytest.param({"dist": "lognormal", "mean": -5, "sd": 1}, id="lognormal-negative-mean"),
        pytest.param({"dist": "lognormal", "mean": 5, "sd": 0}, id="lognormal-zero-sd"),
        pytest.param({"dist": "gamma", "shape": -1, "scale": 1}, id="gamma-negative-shape"),
        pytest.param({"dist": "gamma", "shape": 1, "scale": 0}, id="gamma-zero-scale"),
        pytest.param({"dist": "fixed", "value": -2}, id="fixed-negative"),
        pytest.param(-2, id="bare-negative"),
        pytest.param({"dist": "triangular", "low": 5, "mode": 2, "high": 7}, id="tri-mode-low"),
        pytest.param({"dist": "triangular", "low": 1, "mode": 8, "high": 7}, id="tri-mode-high"),
        pytest.param({"dist": "triangular", "low": 3, "mode": 3, "high": 3}, id="tri-degenerate"),
        pytest.param({"dist": "empirical", "values": []}, id="empirical-empty"),
        pytest.param({"dist": "empirical", "values": [1, -1]}, id="empirical-negative"),
        pytest.param({"dist": "empirical", "values": [1, float("nan")]}, id="empirical-nan"),
        pytest.param({"dist": "exponential", "mean": float("nan")}, id="exponential-nan"),
        pytest.param({"dist": "weibull", "shape": 1}, id="unknown-dist"),
        pytest.param({"dist": "exponential", "mean": 3, "sd": 1}, id="extra-key"),
        pytest.param({"mean": 3}, id="no-dist-key"),
        pytest.param(True, id="bool"),
        pytest.param("10", id="string"),
    ],
)
def test_bad_parameters_are_rejected(spec: object) -> None:
    with pytest.raises(ValidationError):
        parse(spec)


def test_triangular_message_names_the_rule() -> None:
    with pytest.raises(ValidationError, match="low <= mode <= high"):
        parse({"dist": "triangular", "low": 5, "mode": 2, "high": 7})


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"dist": "exponential", "mean": math.inf}, id="exponential-inf"),
        pytest.param({"dist": "lognormal", "mean": 5, "sd": math.inf}, id="lognormal-inf-sd"),
        pytest.param({"dist": "fixed", "value": math.inf}, id="fixed-inf"),
        pytest.param(math.inf, id="bare-inf"),
    ],
)
def test_infinite_parameters_are_rejected(spec: object) -> None:
    # an infinite handling time or mean passes `gt=0` today and poisons the run downstream
    with pytest.raises(ValidationError):
        parse(spec)


def test_distributions_are_frozen() -> None:
    d = Exponential(mean=3)
    with pytest.raises(ValidationError):
        d.mean_ = 4  # type: ignore[misc]


# ------------------------------------------------------------------------- parsing and repr
@pytest.mark.parametrize("value", [0, 10, 2.5])
def test_bare_number_is_fixed(value: float) -> None:
    d = parse(value)
    assert isinstance(d, Fixed) and d.value == value and d.mean == value


def test_dist_key_chooses_the_class() -> None:
    assert isinstance(parse({"dist": "exponential", "mean": 2}), Exponential)
    assert isinstance(parse({"dist": "lognormal", "mean": 2, "sd": 1}), LogNormal)
    assert isinstance(parse({"dist": "gamma", "shape": 2, "scale": 1}), Gamma)
    assert isinstance(parse({"dist": "triangular", "low": 0, "mode": 1, "high": 2}), Triangular)
    assert isinstance(parse({"dist": "empirical", "values": [1]}), Empirical)
    assert parse({"dist": "fixed", "value": 4}) == Fixed(value=4)


def test_round_trip_through_dump() -> None:
    specs = [{"dist": "exponential", "mean": 2.0}, {"dist": "lognormal", "mean": 2.0, "sd": 1.0}]
    for spec in specs:
        d = parse(spec)
        assert d.model_dump(by_alias=True) == spec
        assert parse(d.model_dump(by_alias=True)) == d


@pytest.mark.parametrize(
    ("d", "needles"),
    [
        (Fixed(value=3), ["Fixed", "3"]),
        (Exponential(mean=120), ["Exponential(mean=120"]),
        (LogNormal(mean=150, sd=90), ["LogNormal(mean=150", "sd=90"]),
        (Gamma(shape=2, scale=3), ["Gamma", "shape=2", "scale=3"]),
        (Triangular(low=1, mode=2, high=7), ["Triangular", "low=1", "mode=2", "high=7"]),
        (Empirical(values=(1, 2, 6)), ["Empirical(n=3, mean=3)"]),
    ],
)
def test_repr_is_readable(d, needles: list[str]) -> None:
    text = repr(d)
    for needle in needles:
        assert needle in text, text
    assert "mean_" not in text


# ----------------------------------------------------------------------------------- scaled
@pytest.mark.parametrize("spec", CASES)
def test_scaled_scales_mean_and_samples(spec: dict) -> None:
    d = parse(spec)
    s = d.scaled(1 / 60)
    assert type(s) is type(d)
    assert s.mean == pytest.approx(d.mean / 60)
    a = d.sample(np.random.default_rng(5), 1000)
    b = s.sample(np.random.default_rng(5), 1000)
    assert np.allclose(b, a / 60, rtol=1e-9)


def test_scaled_specifics() -> None:
    assert Fixed(value=2).scaled(3) == Fixed(value=6)
    assert LogNormal(mean=60, sd=30).scaled(0.5) == LogNormal(mean=30, sd=15)
    assert Gamma(shape=2, scale=3).scaled(2) == Gamma(shape=2, scale=6)
    assert Triangular(low=1, mode=2, high=3).scaled(2) == Triangular(low=2, mode=4, high=6)
    assert Empirical(values=(1, 2)).scaled(10).values == (10, 20)
    with pytest.raises(ValidationError):
        Exponential(mean=1).scaled(-1)


# ---------------------------------------------------------------------------- samplers
@pytest.mark.parametrize("spec", CASES)
@pytest.mark.parametrize("factor", [1.0, 1 / 60])
def test_buffered_sampler_matches_block_draws(spec: dict, factor: float) -> None:
    d = parse(spec)
    block = 64
    sampler = BufferedSampler(d, np.random.default_rng(9), factor=factor, block=block)
    got = [sampler() for _ in range(3 * block + 17)]
    ref_rng = np.random.default_rng(9)
    ref = np.concatenate([d.sample(ref_rng, block) * factor for _ in range(4)])
    assert got == ref[: len(got)].tolist()
    assert all(isinstance(v, float) for v in got)


def test_buffered_sampler_factor_applies() -> None:
    plain = BufferedSampler(Exponential(mean=60), np.random.default_rng(2), block=10)
    minutes = BufferedSampler(Exponential(mean=60), np.random.default_rng(2), factor=1 / 60,
                              block=10)
    for _ in range(25):
        assert minutes() == pytest.approx(plain() / 60, rel=1e-12)
    fixed = BufferedSampler(Fixed(value=90), np.random.default_rng(0), factor=1 / 60)
    assert fixed() == 1.5


def test_uniform_stream_reproducible() -> None:
    a = UniformStream(np.random.default_rng(3), block=50)
    b = UniformStream(np.random.default_rng(3), block=50)
    xa = [a() for _ in range(173)]
    assert xa == [b() for _ in range(173)]
    ref_rng = np.random.default_rng(3)
    ref = np.concatenate([ref_rng.random(50) for _ in range(4)])
    assert xa == ref[:173].tolist()
    assert all(0.0 <= v < 1.0 for v in xa)
    c = UniformStream(np.random.default_rng(4), block=50)
    assert [c() for _ in range(10)] != xa[:10]


# -------------------------------------------------------------------------------- property
positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(mean=positive, sd=positive, seed=st.integers(0, 2**32 - 1))
def test_lognormal_samples_nonnegative_and_finite(mean: float, sd: float, seed: int) -> None:
    x = LogNormal(mean=mean, sd=sd).sample(np.random.default_rng(seed), 500)
    assert np.all(np.isfinite(x)) and np.all(x >= 0)


@settings(max_examples=150, deadline=None)
@given(shape=st.floats(min_value=1e-3, max_value=1e4), scale=positive,
       seed=st.integers(0, 2**32 - 1))
def test_gamma_samples_nonnegative_and_finite(shape: float, scale: float, seed: int) -> None:
    assume(shape * scale <= MAX_VALUE)
    x = Gamma(shape=shape, scale=scale).sample(np.random.default_rng(seed), 500)
    assert np.all(np.isfinite(x)) and np.all(x >= 0)


def test_parameters_are_bounded_and_finite() -> None:
    for bad in ({"dist": "exponential", "mean": MAX_VALUE * 10},
                {"dist": "fixed", "value": float("inf")},
                {"dist": "lognormal", "mean": 1, "sd": float("nan")},
                {"dist": "gamma", "shape": 1e4, "scale": 1e4},
                {"dist": "empirical", "values": [1, 2e9]}):
        with pytest.raises(ValidationError):
            ADAPTER.validate_python(bad)


def test_lognormal_with_a_huge_spread_still_samples_finite_values() -> None:
    x = LogNormal(mean=1e-300, sd=1e7).sample(np.random.default_rng(1), 100)
    assert np.all(np.isfinite(x)) and np.all(x >= 0)
