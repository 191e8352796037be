"""Each case's own random numbers (common random numbers that hold across policies)."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

from gridtwin.runner import run
from gridtwin.scenarios.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Triangular,
)
from gridtwin.scenarios.loader import load_scenario
from gridtwin.sim.casedraws import (
    _M64,
    OFFSETS,
    SIZES,
    WIDTH,
    Draw,
    Prefetch,
    _mix,
    case_key,
    keyed_uniform,
    keyed_uniforms,
    overflow_uniform,
)
from gridtwin.sim.cases import Case
from gridtwin.sim.sampling import quantile

U = np.linspace(0.001, 0.999, 37)


@pytest.mark.parametrize(
    ("dist", "reference"),
    [
        (Exponential(mean=5), stats.expon(scale=5)),
        (LogNormal(mean=150, sd=90), None),
        (Gamma(shape=2, scale=60), stats.gamma(2, scale=60)),
        (Triangular(low=60, mode=120, high=360), stats.triang(0.2, loc=60, scale=300)),
    ],
)
def test_quantile_is_the_inverse_distribution_function(dist, reference):
    if reference is None:
        sigma = math.sqrt(math.log1p((dist.sd / dist.mean) ** 2))
        reference = stats.lognorm(sigma, scale=dist.mean * math.exp(-(sigma**2) / 2))
    q = quantile(dist, factor=2.0)
    got = np.array([q(float(u)) for u in U])
    assert np.allclose(got, 2.0 * reference.ppf(U), rtol=1e-9)
    assert math.isfinite(q(0.0))


DISTS = (
    Fixed(value=3.5),
    Exponential(mean=5),
    LogNormal(mean=150, sd=90),
    Gamma(shape=2, scale=60),
    Triangular(low=60, mode=120, high=360),
    Empirical(values=(1.5, 2, 4, 8.25)),
)


@given(
    which=st.integers(0, len(DISTS) - 1),
    u=st.floats(0.0, 1.0, exclude_max=True),
    factor=st.sampled_from([1.0, 60.0, 1 / 60, 0.1, 3.7]),
)
def test_the_factor_is_applied_last_exactly(which: int, u: float, factor: float) -> None:
    """A unit change inside the quantile function gives the very numbers of multiplying after."""
    dist = DISTS[which]
    assert quantile(dist, factor)(u) == quantile(dist)(u) * factor


def _plain(dist: object, factor: float, u: float) -> float:
    """The quantile formulas written in plain Python, as the compiled functions must compute."""
    if isinstance(dist, Fixed):
        return dist.value * factor
    if isinstance(dist, Exponential):
        return -dist.mean_ * math.log1p(-u) * factor
    if isinstance(dist, LogNormal):
        mu, sigma = dist._log_params()
        z = statistics.NormalDist().inv_cdf(u if u > 0.0 else 2.0**-60)
        return math.exp(mu + sigma * z) * factor
    if isinstance(dist, Gamma):
        return float(special.gammaincinv(dist.shape, u)) * dist.scale * factor
    if isinstance(dist, Triangular):
        a, c, b = dist.low, dist.mode, dist.high
        left, right = (b - a) * (c - a), (b - a) * (b - c)
        if u < (c - a) / (b - a):
            return (a + math.sqrt(u * left)) * factor
        return (b - math.sqrt((1.0 - u) * right)) * factor
    assert isinstance(dist, Empirical)
    values = [float(v) * factor for v in dist.values]
    return values[min(int(u * len(values)), len(values) - 1)]


@given(
    which=st.integers(0, len(DISTS) - 1),
    u=st.floats(0.0, 1.0, exclude_max=True),
    factor=st.sampled_from([1.0, 60.0, 1 / 60, 3.7]),
)
def test_each_quantile_function_computes_its_plain_formula_bit_for_bit(
    which: int, u: float, factor: float
) -> None:
    """The functions are compiled with the engine: the same numbers as the formula in Python."""
    dist = DISTS[which]
    assert quantile(dist, factor)(u) == _plain(dist, factor, u)


def test_quantile_of_fixed_and_empirical():
    assert quantile(Fixed(value=3))(0.7) == 3
    emp = quantile(Empirical(values=(1, 2, 4, 8)))
    assert [emp(u) for u in (0.0, 0.26, 0.5, 0.99)] == [1, 2, 4, 8]


def test_inverse_transform_samples_have_the_distribution():
    rng = np.random.default_rng(1)
    q = quantile(LogNormal(mean=25, sd=15))
    x = np.array([q(u) for u in rng.random(20_000)])
    assert abs(x.mean() - 25) < 0.6
    assert abs(x.std() - 15) < 0.8


def test_overflow_numbers_are_uniform_and_reproducible():
    x = np.array([overflow_uniform(7, 123, 4, k) for k in range(20_000)])
    assert ((x >= 0) & (x < 1)).all()
    assert stats.kstest(x, "uniform").pvalue > 1e-3
    assert overflow_uniform(7, 123, 4, 9) == x[9]
    assert overflow_uniform(8, 123, 4, 9) != x[9]
    assert overflow_uniform(7, 124, 4, 9) != x[9]


def test_a_purpose_takes_its_slots_then_goes_on_with_its_own_numbers():
    row = [i / WIDTH for i in range(WIDTH)]
    a, b = Case(5, 0, 0, 0, 0.0, row, 11), Case(5, 0, 0, 0, 0.0, row, 11)
    first = [a.u(Draw.PATIENCE) for _ in range(SIZES[Draw.PATIENCE] + 3)]
    assert first[: SIZES[Draw.PATIENCE]] == row[OFFSETS[Draw.PATIENCE] :][: SIZES[Draw.PATIENCE]]
    assert first[SIZES[Draw.PATIENCE] :] == [
        overflow_uniform(11, 5, Draw.PATIENCE, k) for k in range(SIZES[Draw.PATIENCE], len(first))
    ]
    # a purpose drawn more often leaves the other purposes' numbers where they were
    assert a.u(Draw.HANDLING) == b.u(Draw.HANDLING) == row[OFFSETS[Draw.HANDLING]]


@given(st.lists(st.integers(0, len(SIZES) - 1), max_size=60), st.booleans())
def test_every_draw_is_the_slot_or_hashed_number_its_count_names(purposes, with_row):
    """Draws in any order: the k-th of a purpose is its k-th slot, else its k-th hashed number.

    A case without a row (no slots) hashes from its first draw of every purpose.
    """
    row = [(i + 0.5) / (WIDTH + 3) for i in range(WIDTH + 3)]
    case = Case(8, 0, 0, 0, 0.0, row if with_row else (), 21, 3 if with_row else 0)
    counts = [0] * len(SIZES)
    for p in purposes:
        k = counts[p]
        counts[p] += 1
        got = case.u(p)
        if with_row and k < SIZES[p]:
            assert got == row[3 + OFFSETS[p] + k]
        else:
            assert got == overflow_uniform(21, 8, p, k)


NO_SETTLING = [
    f"services.case_types.{e}.patrol_settle_share=0"
    for e in ("noise", "sanitation", "illegal_parking", "water_leak", "safety_hazard",
              "neighbour_dispute")
]


def test_hotline_seats_cannot_move_how_hidden_needs_are_found():
    """Hidden needs are found only by patrol visits and water meters; with no settling on the
    spot, a worker's rounds do not depend on events, so the hotline cannot reach them."""
    def hidden(seats: int):
        s = load_scenario("street", ["run.horizon_days=10", f"channels.hotline.seats={seats}",
                                     *NO_SETTLING])
        r = run(s, seed=5)
        cases = r.cases.to_pandas()
        return r.kpis, cases[cases["kind"] == "hidden"].set_index("case_id")

    k4, h4 = hidden(4)
    k1, h1 = hidden(1)
    assert k4["hotline_abandon_rate"] < k1["hotline_abandon_rate"]  # the lever does act
    assert len(h4) > 30
    assert h4.index.equals(h1.index)
    assert h4["reported"].equals(h1["reported"])
    assert h4["channel"].astype(str).equals(h1["channel"].astype(str))
    assert k4["hidden_needs_found_share"] == k1["hidden_needs_found_share"]
    assert k4["mean_time_to_discover_h"]["hidden"] == k1["mean_time_to_discover_h"]["hidden"]


@pytest.mark.parametrize("p", [0.03, 0.3, 0.9])
def test_visits_until_found_is_geometric(p):
    from gridtwin.sim.patrol import visits_until_found

    u = np.random.default_rng(3).random(50_000)
    k = np.array([visits_until_found(float(x), p) for x in u])
    for n in (1, 2, 5):
        assert abs((k == n).mean() - stats.geom(p).pmf(n)) < 0.01
    assert abs(k.mean() - 1 / p) < 0.05 / p
    assert visits_until_found(0.5, 1.0) == 1
    assert visits_until_found(0.5, 0.0) > 10**15


@given(
    st.integers(0, 2**63 - 1),
    st.integers(0, 2**40),
    st.integers(0, 63),
    st.integers(0, 10_000),
)
def test_hashed_numbers_are_three_splitmix_rounds(seed: int, case: int, purpose: int, k: int):
    """The written-out form equals mix(mix(mix(seed) ^ case) ^ (purpose << 32 | k))."""
    x = _mix(_mix(_mix(seed & _M64) ^ case) ^ ((purpose << 32) | k))
    want = (x >> 11) * (1.0 / 9007199254740992.0)
    assert overflow_uniform(seed, case, purpose, k) == want
    assert keyed_uniform(case_key(seed, case), purpose, k) == want  # a case keeps its key
    assert 0.0 <= want < 1.0



@given(
    st.integers(0, 2**64 - 1),
    st.lists(st.integers(0, 2**40), min_size=1, max_size=20),
    st.lists(st.tuples(st.integers(0, 63), st.integers(0, 2**32 - 1)), min_size=1, max_size=6),
)
def test_hashed_numbers_in_bulk_equal_the_ones_drawn_one_at_a_time(seed, ids, columns):
    got = keyed_uniforms(seed, np.array(ids), tuple(columns))
    assert got.shape == (len(ids), len(columns))
    for i, case in enumerate(ids):
        for j, (purpose, k) in enumerate(columns):
            assert got[i, j] == overflow_uniform(seed, case, purpose, k)


def test_prefetched_numbers_are_the_cases_own_and_then_hashing_goes_on():
    plan = Prefetch({Draw.STALL: 2, Draw.PHOTO: 1})
    assert plan.columns == ((Draw.STALL, 0), (Draw.STALL, 1), (Draw.PHOTO, 0))
    assert plan.width == 3 and plan.table[Draw.STALL] == (0, 2) and plan.table[Draw.PHOTO] == (2, 1)
    rng = np.random.default_rng(5)
    rows = np.hstack([rng.random((2, WIDTH)), keyed_uniforms(9, np.array([40, 41]), plan.columns)])
    flat = rows.ravel().tolist()
    with_plan = Case(41, 0, 0, -1, 0.0, flat, 9, WIDTH + plan.width, plan.table)
    hashed = Case(41, 0, 0, -1, 0.0, flat[WIDTH + plan.width :], 9, 0)
    for d in (Draw.STALL, Draw.STALL, Draw.STALL, Draw.PHOTO, Draw.PHOTO, Draw.CHOICE):
        assert with_plan.u(d) == hashed.u(d)
    assert with_plan.u(Draw.HANDOVER) == overflow_uniform(9, 41, Draw.HANDOVER, 0)
    with pytest.raises(ValueError, match="CHOICE"):
        Prefetch({Draw.CHOICE: 1})


def test_every_lever_on_gives_the_same_run_with_or_without_prefetching():
    from gridtwin.model import GovernanceModel

    levers = [
        "run.horizon_days=6",
        "policies.levels.crossings=2",
        "channels.portal.staff_apps.apps=3",
        "policies.accountability.pressure=0.5",
        "channels.photo.uptake.enabled=true",
    ]
    runs = []
    for prefetch in (True, False):
        m = GovernanceModel(load_scenario("street", levers), seed=4)
        assert m.prefetch is not None
        if not prefetch:
            m.prefetch = None
        m.run()
        runs.append((m.cases.arrays(), m.log.arrays()))
    (c1, e1), (c2, e2) = runs
    for a, b in ((c1, c2), (e1, e2)):
        assert a.keys() == b.keys()
        for key in a:
            assert np.array_equal(a[key], b[key], equal_nan=a[key].dtype.kind == "f"), key
