"""Tests for gridtwin.sim.arrivals: piecewise-constant Poisson arrivals drawn in bulk."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from gridtwin.sim.arrivals import MINUTES_PER_YEAR, ArrivalBatch, ArrivalProcess

WEEK = 7 * 1440


def office_shape() -> np.ndarray:
    """Hour-of-week weights with mean 1: open 08:00-18:00 on weekdays, busier mornings."""
    w = np.zeros(168)
    for d in range(5):
        w[d * 24 + 8 : d * 24 + 12] = 2.0
        w[d * 24 + 12 : d * 24 + 18] = 1.0
    return w / w.mean()


FLAT = np.ones(168)
CELLS = [np.array([0.1, 0.2, 0.3, 0.4, 0.0]), np.array([0.0, 0.5, 0.0, 0.0, 0.5])]


def make(seed: int = 1, totals=(200_000.0, 50_000.0)) -> ArrivalProcess:
    how = np.vstack([FLAT, office_shape()])
    return ArrivalProcess(totals, how, CELLS, np.random.default_rng(seed))


def draw_weeks(proc: ArrivalProcess, weeks: int) -> ArrivalBatch:
    batches = [proc.draw(k * WEEK, (k + 1) * WEEK) for k in range(weeks)]
    return ArrivalBatch(*(np.concatenate([getattr(b, f) for b in batches])
                          for f in ("time", "type_index", "community", "u")))


@pytest.fixture(scope="module")
def year() -> ArrivalBatch:
    return draw_weeks(make(), 52)


def test_counts_match_expected_totals(year: ArrivalBatch) -> None:
    proc = make()
    expected = proc.expected(0, 52 * WEEK)
    assert expected == pytest.approx(np.array([200_000.0, 50_000.0]) * 52 * WEEK
                                     / MINUTES_PER_YEAR)
    counts = np.bincount(year.type_index, minlength=2)
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected)), (counts, expected)


def test_expected_is_additive_and_follows_the_shape() -> None:
    proc = make()
    whole = proc.expected(0, 2 * WEEK)
    assert whole == pytest.approx(proc.expected(0, WEEK) + proc.expected(WEEK, 2 * WEEK))
    saturday = proc.expected(5 * 1440, 6 * 1440)
    assert saturday[1] == 0 and saturday[0] > 0
    monday_morning = proc.expected(9 * 60, 10 * 60)
    per_hour = 50_000.0 * 60 / MINUTES_PER_YEAR
    assert monday_morning[1] == pytest.approx(per_hour * office_shape()[9])


def test_hour_of_week_shape(year: ArrivalBatch) -> None:
    shape = office_shape()
    office = year.time[year.type_index == 1]
    hour = (office // 60).astype(int) % 168
    per_hour = np.bincount(hour, minlength=168)
    assert per_hour[shape == 0].sum() == 0
    open_hours = shape > 0
    expected = shape[open_hours] / shape[open_hours].sum() * per_hour[open_hours].sum()
    assert stats.chisquare(per_hour[open_hours], expected).pvalue > 1e-4
    flat = year.time[year.type_index == 0]
    flat_hours = np.bincount((flat // 60).astype(int) % 168, minlength=168)
    assert stats.chisquare(flat_hours).pvalue > 1e-4
    # within an hour the times are uniform
    minute = (flat % 60)
    assert stats.kstest(minute / 60, "uniform").pvalue > 1e-4


def test_cell_weights(year: ArrivalBatch) -> None:
    for k, w in enumerate(CELLS):
        cells = year.community[year.type_index == k]
        assert cells.min() >= 0 and cells.max() < len(w)
        counts = np.bincount(cells, minlength=len(w))
        assert np.all(counts[w == 0] == 0)
        nz = w > 0
        expected = w[nz] / w[nz].sum() * counts[nz].sum()
        assert stats.chisquare(counts[nz], expected).pvalue > 1e-4


def test_times_sorted_and_inside_window() -> None:
    proc = make(seed=3)
    for t0, t1 in [(0, WEEK), (WEEK, WEEK + 60), (5 * 60, 29 * 60), (10 * WEEK, 10 * WEEK + 1440)]:
        b = proc.draw(t0, t1)
        assert len(b) > 0
        assert np.all(np.diff(b.time) >= 0)
        assert b.time.min() >= t0 and b.time.max() < t1
        assert len(b.type_index) == len(b.community) == len(b.u) == len(b)
        assert np.all((b.u >= 0) & (b.u < 1))
        assert b.type_index.dtype == np.int32


def test_reproducible_with_same_seed() -> None:
    a = draw_weeks(make(seed=42), 3)
    b = draw_weeks(make(seed=42), 3)
    for field in ("time", "type_index", "community", "u"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    c = draw_weeks(make(seed=43), 3)
    assert len(c) != len(a) or not np.array_equal(c.time, a.time)


def test_empty_batch() -> None:
    proc = ArrivalProcess([0.0], np.ones((1, 168)), [np.array([1.0])], np.random.default_rng(0))
    b = proc.draw(0, WEEK)
    assert len(b) == 0
    assert b.time.shape == b.type_index.shape == b.community.shape == b.u.shape == (0,)
    closed = make()
    sunday = closed.draw(6 * 1440, 7 * 1440)
    assert np.all(sunday.type_index == 0)


def test_zero_weight_first_cell_is_never_picked() -> None:
    proc = ArrivalProcess([1e6], np.ones((1, 168)), [np.array([0.0, 0.0, 1.0])],
                          np.random.default_rng(8))
    b = proc.draw(0, WEEK)
    assert len(b) > 10_000
    assert set(np.unique(b.community).tolist()) == {2}


def test_bad_shape_raises() -> None:
    with pytest.raises(ValueError, match="168"):
        ArrivalProcess([1.0, 2.0], np.ones((1, 168)), [np.ones(1)] * 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="168"):
        ArrivalProcess([1.0], np.ones((1, 24)), [np.ones(1)], np.random.default_rng(0))
