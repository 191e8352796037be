"""Tests for gridtwin.scenarios.calendar: weekly working calendars."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gridtwin.scenarios.calendar import (
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    WeeklyCalendar,
    parse_hhmm,
    parse_span,
)

DAY, WEEK = MINUTES_PER_DAY, MINUTES_PER_WEEK
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def at(day: int, hhmm: str, week: int = 0) -> float:
    """Minutes from the start of the run for weekday ``day`` (0 = Monday) at ``hhmm``."""
    return week * WEEK + day * DAY + parse_hhmm(hhmm)


OFFICE = WeeklyCalendar.from_days_hours(WORKDAYS, ("09:00-12:00", "13:30-17:30"))
NIGHTS = WeeklyCalendar([(0, 60), (DAY * 6 + 1380, WEEK), (3000.5, 3010.25)])
"""Odd shapes: open at the week's both ends (not merged across the wrap) and a fractional span."""
ROSTER = WeeklyCalendar([(d * DAY + h * 60, d * DAY + h * 60 + 60)
                         for d in range(7) for h in (7, 8, 9, 14, 22, 23)])
CALENDARS = {"office": OFFICE, "nights": NIGHTS, "roster": ROSTER}


@pytest.fixture
def office() -> WeeklyCalendar:
    return WeeklyCalendar.from_days_hours(WORKDAYS, ("09:00-12:00", "13:30-17:30"))


# --------------------------------------------------------------------------- construction
def test_office_calendar_shape(office: WeeklyCalendar) -> None:
    assert office.open_minutes_per_week == 5 * 7 * 60
    assert not office.always
    assert repr(office) == "WeeklyCalendar(10 intervals, 35 h/week)"


def test_overlapping_and_touching_intervals_merge() -> None:
    cal = WeeklyCalendar([(100, 200), (150, 300), (300, 400), (500, 600)])
    assert cal.open_minutes_per_week == 400
    assert repr(cal).startswith("WeeklyCalendar(2 intervals")
    assert cal.next_open(350) == 350 and cal.next_open(400) == 500
    unsorted = WeeklyCalendar([(500, 600), (100, 200), (150, 300), (300, 400)])
    assert unsorted.open_minutes_per_week == 400


def test_parse_helpers() -> None:
    assert parse_hhmm("09:30") == 570
    assert parse_hhmm(" 00:00 ") == 0
    assert parse_hhmm("24:00") == 1440
    assert parse_span("13:30-17:30") == (810, 1050)
    assert parse_span("00:00-24:00") == (0, 1440)


@pytest.mark.parametrize(
    "span",
    ["12:00-09:00", "09:00-09:00", "9-12", "09:00", "09:00-10:00-11:00", "25:00-26:00",
     "09:60-10:00", "24:30-24:45", "ab:cd-10:00", "-1:00-02:00", ""],
)
def test_bad_spans_raise(span: str) -> None:
    with pytest.raises(ValueError):
        parse_span(span)
    with pytest.raises(ValueError):
        WeeklyCalendar.from_days_hours(["mon"], [span])


def test_bad_calendars_raise() -> None:
    with pytest.raises(ValueError, match="weekday"):
        WeeklyCalendar.from_days_hours(["monday"], ["09:00-17:00"])
    with pytest.raises(ValueError, match="at least one"):
        WeeklyCalendar([])
    with pytest.raises(ValueError, match="at least one"):
        WeeklyCalendar.from_days_hours([], ["09:00-17:00"])
    for bad in [(-1, 10), (10000, WEEK + 1), (50, 50), (60, 30)]:
        with pytest.raises(ValueError, match="inside one week"):
            WeeklyCalendar([bad])


# ------------------------------------------------------------------------------ next_open
@pytest.mark.parametrize(
    ("t", "expected"),
    [
        pytest.param(at(0, "10:00"), at(0, "10:00"), id="inside"),
        pytest.param(at(0, "09:00"), at(0, "09:00"), id="at-opening"),
        pytest.param(at(0, "08:00"), at(0, "09:00"), id="before"),
        pytest.param(0.0, at(0, "09:00"), id="run-start"),
        pytest.param(at(0, "12:00"), at(0, "13:30"), id="at-lunch-close"),
        pytest.param(at(2, "12:45"), at(2, "13:30"), id="lunch"),
        pytest.param(at(1, "17:30"), at(2, "09:00"), id="at-closing"),
        pytest.param(at(1, "20:00"), at(2, "09:00"), id="evening"),
        pytest.param(at(4, "17:30"), at(0, "09:00", week=1), id="friday-close-to-monday"),
        pytest.param(at(5, "11:00"), at(0, "09:00", week=1), id="saturday"),
        pytest.param(at(6, "23:59"), at(0, "09:00", week=1), id="sunday-night"),
        pytest.param(at(4, "17:30", week=7), at(0, "09:00", week=8), id="later-week"),
        pytest.param(at(3, "11:59") + 0.5, at(3, "11:59") + 0.5, id="fractional-inside"),
        pytest.param(at(3, "12:00") + 1e-9, at(3, "13:30"), id="just-after-close"),
    ],
)
def test_next_open(office: WeeklyCalendar, t: float, expected: float) -> None:
    assert office.next_open(t) == expected
    assert office.is_open(office.next_open(t))


def test_is_open(office: WeeklyCalendar) -> None:
    assert office.is_open(at(0, "09:00"))
    assert not office.is_open(at(0, "12:00"))
    assert office.is_open(at(0, "11:59") + 0.99)
    assert not office.is_open(at(5, "10:00"))
    assert office.is_open(at(4, "17:00", week=3))
    assert not office.is_open(at(0, "08:59", week=3))


# ------------------------------------------------------------------------------- add_work
@pytest.mark.parametrize(
    ("t", "work", "expected"),
    [
        pytest.param(at(0, "11:50"), 30, at(0, "13:50"), id="over-lunch"),
        pytest.param(at(0, "10:00"), 30, at(0, "10:30"), id="inside"),
        pytest.param(at(0, "17:10"), 30, at(1, "09:10"), id="over-night"),
        pytest.param(at(0, "16:50"), 30, at(0, "17:20"), id="before-closing"),
        pytest.param(at(4, "17:00"), 60, at(0, "09:30", week=1), id="over-weekend"),
        pytest.param(at(5, "12:00"), 10, at(0, "09:10", week=1), id="start-on-saturday"),
        pytest.param(at(0, "07:00"), 180, at(0, "12:00"), id="exactly-to-lunch"),
        pytest.param(at(0, "09:00"), 420, at(0, "17:30"), id="one-full-day"),
        pytest.param(at(0, "09:00"), 2100, at(4, "17:30"), id="one-full-week"),
        pytest.param(at(0, "09:00"), 4200, at(4, "17:30", week=1), id="two-full-weeks"),
        pytest.param(at(3, "12:30"), 0, at(3, "13:30"), id="no-work-while-closed"),
        pytest.param(at(3, "10:30"), 0, at(3, "10:30"), id="no-work-while-open"),
    ],
)
def test_add_work(office: WeeklyCalendar, t: float, work: float, expected: float) -> None:
    assert office.add_work(t, work) == pytest.approx(expected, abs=1e-9)
    assert office.open_minutes(t, office.add_work(t, work)) == pytest.approx(work, abs=1e-9)


def test_add_work_tiny_work_never_ends_before_it_starts(office: WeeklyCalendar) -> None:
    # Work smaller than the float spacing of the cumulative open time used to vanish and
    # make add_work return the *previous* closing time: a job ending before it started.
    for t, work in [(at(0, "12:10"), 1e-300), (at(0, "20:00", week=5000), 1e-12),
                    (at(0, "09:00", week=1), 1e-13)]:
        assert office.add_work(t, work) >= office.next_open(t), (t, work)
        assert office.add_work(t, work) >= office.add_work(t, 0.0), (t, work)


# ---------------------------------------------------------------------- cumulative & co
def test_cumulative_known_values(office: WeeklyCalendar) -> None:
    assert office.cumulative(0) == 0
    assert office.cumulative(at(0, "09:00")) == 0
    assert office.cumulative(at(0, "10:00")) == 60
    assert office.cumulative(at(0, "13:00")) == 180
    assert office.cumulative(at(1, "00:00")) == 420
    assert office.cumulative(WEEK) == 2100
    assert office.cumulative(at(0, "10:00", week=3)) == 3 * 2100 + 60


def test_cumulative_array_agrees(office: WeeklyCalendar, rng: np.random.Generator) -> None:
    for cal in [office, NIGHTS, ROSTER, WeeklyCalendar.always_open()]:
        t = np.concatenate([rng.uniform(0, 20 * WEEK, 2000),
                            np.arange(0, 3 * WEEK, 30.0), [0.0, WEEK, 2 * WEEK]])
        arr = cal.cumulative_array(t)
        assert arr.shape == t.shape
        assert np.allclose(arr, [cal.cumulative(x) for x in t], rtol=0, atol=1e-9)
        assert np.all(np.diff(cal.cumulative_array(np.sort(t))) >= 0)


def test_cumulative_array_does_not_alias_input() -> None:
    t = np.array([1.0, 2.0])
    out = WeeklyCalendar.always_open().cumulative_array(t)
    out[0] = 99.0
    assert t[0] == 1.0


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_open_minutes_of_any_week(name: str, rng: np.random.Generator) -> None:
    cal = CALENDARS[name]
    for a in [0.0, 1.0, 3000.7, *rng.uniform(0, 50 * WEEK, 200)]:
        assert cal.open_minutes(a, a + WEEK) == pytest.approx(cal.open_minutes_per_week,
                                                              abs=1e-6)
    assert cal.open_minutes(0, 3 * WEEK) == 3 * cal.open_minutes_per_week
    assert cal.open_minutes(500, 500) == 0


def test_odd_calendar_week_wrap() -> None:
    assert NIGHTS.open_minutes_per_week == 60 + 60 + 9.75
    # Sunday 23:30 + 60 min of work: 30 min on Sunday, 30 min after Monday 00:00
    assert NIGHTS.add_work(at(6, "23:30"), 60) == pytest.approx(WEEK + 30)
    assert NIGHTS.next_open(61) == 3000.5
    assert NIGHTS.next_open(3010.25) == at(6, "23:00")


def test_always_open_fast_path() -> None:
    cal = WeeklyCalendar.always_open()
    assert cal.always
    assert cal.open_minutes_per_week == WEEK
    assert WeeklyCalendar.from_days_hours(
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), ["00:00-24:00"]).always
    for t in [0.0, 123.456, 5 * WEEK + 7.5]:
        assert cal.is_open(t)
        assert cal.next_open(t) == t
        assert cal.add_work(t, 42.5) == t + 42.5
        assert cal.cumulative(t) == t
        assert cal.open_minutes(t, t + 10) == pytest.approx(10)
    assert np.array_equal(cal.cumulative_array(np.array([1.0, 2.5])), [1.0, 2.5])
    assert cal.minute_mask(100).sum() == 100


# ------------------------------------------------------------------------------ minute_mask
@pytest.mark.parametrize("name", ["office", "roster"])
def test_minute_mask(name: str) -> None:
    cal = CALENDARS[name]
    week = cal.minute_mask(WEEK)
    assert week.shape == (WEEK,)
    assert set(np.unique(week).tolist()) <= {0.0, 1.0}
    assert week.sum() == cal.open_minutes_per_week
    three = cal.minute_mask(3 * WEEK + 100)
    assert three.shape == (3 * WEEK + 100,)
    assert three[: 3 * WEEK].sum() == 3 * cal.open_minutes_per_week
    assert three[3 * WEEK:].sum() == cal.open_minutes(3 * WEEK, 3 * WEEK + 100)
    for m in range(0, 2 * WEEK, 7):
        assert three[m] == float(cal.is_open(m + 0.5))


# ---------------------------------------------------------------------------------- property
times = st.floats(min_value=0, max_value=200 * WEEK, allow_nan=False, allow_infinity=False)
works = st.floats(min_value=0, max_value=20 * WEEK, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(CALENDARS)), t=times, work=works)
def test_add_work_then_open_minutes_is_the_work(name: str, t: float, work: float) -> None:
    cal = CALENDARS[name]
    end = cal.add_work(t, work)
    assert end >= t
    assert cal.open_minutes(t, end) == pytest.approx(work, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(CALENDARS)), t=times, w1=works, w2=works)
def test_add_work_is_monotone_in_work(name: str, t: float, w1: float, w2: float) -> None:
    cal = CALENDARS[name]
    lo, hi = sorted((w1, w2))
    assume(lo != hi or lo == 0)
    assert cal.add_work(t, lo) <= cal.add_work(t, hi)
    assert cal.next_open(t) <= cal.add_work(t, lo)


def _fresh(cal: WeeklyCalendar) -> WeeklyCalendar:
    return WeeklyCalendar(zip(cal._starts, cal._ends, strict=True))


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(CALENDARS)),
    start=times,
    steps=st.lists(
        st.one_of(
            st.floats(min_value=-3 * DAY, max_value=3 * DAY, allow_nan=False),
            st.sampled_from([0.0, 60.0, 90.0, 1.0, -1.0]),
        ),
        max_size=25,
    ),
    snap=st.booleans(),
)
def test_next_open_remembers_its_span_without_changing_an_answer(
    name: str, start: float, steps: list[float], snap: bool
) -> None:
    # The engine asks about nearby times over and over, often exactly at an opening or a
    # closing; a calendar that remembers its last span answers each as a fresh one does.
    cal = _fresh(CALENDARS[name])
    t = start
    for step in steps:
        t = max(0.0, t + step)
        if snap:  # land on the boundaries the cache stores
            t = cal.next_open(t)
        assert cal.next_open(t) == _fresh(cal).next_open(t)
        assert cal.is_open(t) == _fresh(cal).is_open(t)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(CALENDARS)), t=times, work=works)
def test_work_that_fits_its_span_ends_at_start_plus_work(name: str, t: float, work: float) -> None:
    cal = _fresh(CALENDARS[name])
    start = cal.next_open(t)
    end = cal.add_work(t, work)
    by_cumulative = max(start, cal._at_cumulative(cal.cumulative(start) + work)) if work else start
    assert end == pytest.approx(by_cumulative, abs=1e-9)  # the two ways agree to rounding
    if cal.always:
        assert end == start + work
        return
    tw = start % WEEK
    spans = [(a, b) for a, b in zip(cal._starts, cal._ends, strict=True) if a <= tw < b]
    # Work started inside an open span; from a closed time the span looked up is the closed one
    # and the work takes the long way, equal to rounding (above): t=222810, work=1e-5 on the
    # office calendar ends 2e-11 min after start + work.
    if work > 0 and spans and t == start and tw + work <= spans[0][1] - 1e-6:
        assert end == start + work  # within one span: plain addition, no cumulative clock
