"""Tests for gridtwin.sim.servers: FCFS server pools as heaps of free times."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from gridtwin.scenarios.calendar import MINUTES_PER_DAY, MINUTES_PER_WEEK, WeeklyCalendar
from gridtwin.sim.servers import ServerPool, roster_groups

DAY, WEEK = MINUTES_PER_DAY, MINUTES_PER_WEEK
ALWAYS = WeeklyCalendar.always_open()
OFFICE = WeeklyCalendar.from_days_hours(("mon", "tue", "wed", "thu", "fri"),
                                        ("09:00-12:00", "13:30-17:30"))


def hm(h: int, m: int = 0, day: int = 0, week: int = 0) -> float:
    return week * WEEK + day * DAY + h * 60 + m


# ------------------------------------------------------------------------------- hand-made
def test_fcfs_two_servers_three_simultaneous_arrivals() -> None:
    pool = ServerPool("desk", [(2, ALWAYS)])
    log = [pool.reserve(0.0, 10.0) for _ in range(3)]
    assert log == [(0.0, 10.0), (0.0, 10.0), (10.0, 20.0)]
    assert pool.servers == 2 and pool.jobs == 3 and pool.busy_minutes == 30.0


def test_fcfs_event_log() -> None:
    pool = ServerPool("desk", [(2, ALWAYS)])
    arrivals = [("a", 0, 5), ("b", 1, 10), ("c", 2, 1), ("d", 3, 1), ("e", 20, 2)]
    log = []
    for name, t, work in arrivals:
        start, end = pool.reserve(t, work)
        log += [(name, "start", start), (name, "end", end)]
    assert sorted(log, key=lambda r: (r[2], r[1] == "start")) == [
        ("a", "start", 0), ("b", "start", 1), ("a", "end", 5), ("c", "start", 5),
        ("c", "end", 6), ("d", "start", 6), ("d", "end", 7), ("b", "end", 11),
        ("e", "start", 20), ("e", "end", 22),
    ]


def test_no_wait_when_a_server_is_free() -> None:
    pool = ServerPool("desk", [(3, ALWAYS)])
    assert pool.reserve(5.0, 100.0) == (5.0, 105.0)
    assert pool.reserve(6.0, 100.0) == (6.0, 106.0)
    assert pool.reserve(7.0, 1.0) == (7.0, 8.0)
    assert pool.reserve(8.0, 1.0) == (8.0, 9.0)  # the third server is free again at 8
    assert pool.reserve(8.5, 1.0) == (9.0, 10.0)  # server three again: it was free first
    assert pool.reserve(8.6, 1.0) == (10.0, 11.0)
    assert pool.reserve(8.7, 1.0) == (11.0, 12.0)


def test_earliest_then_commit_equals_reserve() -> None:
    a, b = ServerPool("a", [(2, OFFICE)]), ServerPool("b", [(2, OFFICE)])
    rng = np.random.default_rng(0)
    t = 0.0
    for _ in range(200):
        t += rng.exponential(60)
        work = rng.exponential(90)
        start, group = a.earliest(t)
        assert (start, a.commit(start, group, work)) == b.reserve(t, work)


def test_work_pauses_off_shift() -> None:
    pool = ServerPool("dept", [(1, OFFICE)])
    # Monday 11:00 with two hours of work: one hour before lunch, one after
    assert pool.reserve(hm(11), 120) == (hm(11), hm(14, 30))
    # queued behind it: starts at 14:30 and runs over the night
    assert pool.reserve(hm(11, 5), 240) == (hm(14, 30), hm(10, day=1))
    # arriving on Saturday: starts on Monday at opening
    assert pool.reserve(hm(10, day=5), 30) == (hm(9, week=1), hm(9, 30, week=1))
    assert pool.busy_minutes == 390


def test_started_jobs_run_to_the_end_without_pause() -> None:
    pool = ServerPool("phone", [(1, OFFICE)], pause_off_shift=False)
    assert pool.reserve(hm(11), 120) == (hm(11), hm(13))
    # the server is free at 13:00 but closed: the next job waits for 13:30
    assert pool.reserve(hm(11, 30), 10) == (hm(13, 30), hm(13, 40))
    # a job starting just before closing runs past it
    assert pool.reserve(hm(17, 20), 60) == (hm(17, 20), hm(18, 20))
    assert pool.reserve(hm(17, 25), 5) == (hm(9, day=1), hm(9, 5, day=1))


def test_groups_choose_earliest_start() -> None:
    night = WeeklyCalendar([(d * DAY, d * DAY + 9 * 60) for d in range(7)])
    pool = ServerPool("mixed", [(1, OFFICE), (2, night)])
    assert pool.servers == 3
    assert pool.earliest(hm(2))[1] == 1  # only the night group is on duty
    assert pool.earliest(hm(10))[1] == 0
    assert pool.reserve(hm(10), 30) == (hm(10), hm(10, 30))
    assert pool.reserve(hm(10), 30) == (hm(10, 30), hm(11))  # office server busy: waits
    assert pool.reserve(hm(23), 60) == (hm(0, day=1), hm(1, day=1))
    assert pool.groups() == [(1, OFFICE), (2, night)]


def test_empty_groups_are_dropped_and_no_servers_raise() -> None:
    pool = ServerPool("p", [(0, OFFICE), (2, ALWAYS)])
    assert pool.servers == 2 and pool.groups() == [(2, ALWAYS)]
    with pytest.raises(ValueError, match="hotline"):
        ServerPool("hotline", [(0, ALWAYS)])
    with pytest.raises(ValueError):
        ServerPool("hotline", [])


def test_capacity_minutes() -> None:
    pool = ServerPool("p", [(2, OFFICE), (1, ALWAYS)])
    assert pool.capacity_minutes(0, WEEK) == 2 * 2100 + WEEK
    assert pool.capacity_minutes(hm(9), hm(10)) == 3 * 60
    assert pool.capacity_minutes(hm(12), hm(13)) == 60


# ------------------------------------------------------------------------------- rosters
def test_roster_groups_seat_hours_add_up() -> None:
    roster = [0] * 8 + [3] * 10 + [1] * 6
    groups = roster_groups(roster)
    assert sorted((n, c.open_minutes_per_week) for n, c in groups) == [
        (1, 16 * 60 * 7), (2, 10 * 60 * 7)]
    assert sum(n * c.open_minutes_per_week for n, c in groups) == sum(roster) * 60 * 7
    pool = ServerPool("hotline", groups)
    assert pool.servers == 3
    for h in range(24):
        on_duty = pool.capacity_minutes(hm(h, day=2), hm(h + 1, day=2)) / 60
        assert on_duty == roster[h]


def test_roster_groups_wrap_and_around_the_clock() -> None:
    roster = [2] * 2 + [1] * 20 + [2] * 2
    groups = dict((c.always, (n, c)) for n, c in roster_groups(roster))
    assert groups[True][0] == 1
    n, night = groups[False]
    assert n == 1 and night.open_minutes_per_week == 4 * 60 * 7
    assert night.is_open(hm(23, 30, day=6)) and night.is_open(hm(0, 30, week=1))
    assert not night.is_open(hm(12))


def test_roster_pool_waits_for_the_shift() -> None:
    pool = ServerPool("hotline", roster_groups([0] * 8 + [1] * 10 + [0] * 6))
    assert pool.reserve(hm(23), 5) == (hm(8, day=1), hm(8, 5, day=1))


def test_roster_validation() -> None:
    with pytest.raises(ValueError, match="24"):
        roster_groups([1] * 23)
    assert roster_groups([0] * 24) == []


# ---------------------------------------------------------------- exactness against SimPy
def simpy_fcfs(arrivals: np.ndarray, works: np.ndarray, c: int) -> tuple[list, list]:
    env = simpy.Environment()
    res = simpy.Resource(env, capacity=c)
    starts = [0.0] * len(arrivals)
    ends = [0.0] * len(arrivals)

    def customer(i: int):
        yield env.timeout(arrivals[i])
        with res.request() as req:
            yield req
            starts[i] = env.now
            yield env.timeout(works[i])
            ends[i] = env.now

    for i in range(len(arrivals)):
        env.process(customer(i))
    env.run()
    return starts, ends


@pytest.mark.parametrize(("c", "mean_work"), [(3, 2.7), (1, 0.8), (5, 5.5)])
def test_matches_simpy_resource_exactly(c: int, mean_work: float) -> None:
    rng = np.random.default_rng(2024)
    n = 2000
    arrivals = np.cumsum(rng.exponential(1.0, n))
    works = rng.exponential(mean_work, n)
    ref_starts, ref_ends = simpy_fcfs(arrivals, works, c)
    pool = ServerPool("mmc", [(c, ALWAYS)])
    got = [pool.reserve(float(a), float(w)) for a, w in zip(arrivals, works, strict=True)]
    starts = np.array([s for s, _ in got])
    ends = np.array([e for _, e in got])
    assert np.max(np.abs(starts - ref_starts)) < 1e-9
    assert np.max(np.abs(ends - ref_ends)) < 1e-9
    waits = starts - arrivals
    assert np.all(waits >= 0)
    assert np.mean(waits > 0) > 0.2  # the test is only meaningful with queueing
    assert pool.jobs == n and pool.busy_minutes == pytest.approx(works.sum())


def test_end_never_precedes_start_with_tiny_work() -> None:
    # A job queued overnight starts exactly at an opening; work below the float spacing of the
    # calendar's cumulative open time must not send its end back to the previous closing.
    pool = ServerPool("dept", [(1, OFFICE)])
    start, end = pool.reserve(hm(0, week=1), 1e-13)
    assert start == hm(9, week=1)
    assert end >= start


def test_heavy_tailed_work_keeps_order() -> None:
    # Gamma with a small shape draws many near-zero handling times (a realistic scenario input).
    rng = np.random.default_rng(11)
    n = 3000
    arrivals = np.sort(rng.uniform(0, 8 * WEEK, n))
    works = rng.gamma(0.05, 60.0, n)
    pool = ServerPool("dept", [(2, OFFICE)])
    bad = []
    for a, w in zip(arrivals, works, strict=True):
        start, end = pool.reserve(float(a), float(w))
        if not (a <= start <= end and OFFICE.is_open(start)):
            bad.append((float(a), float(w), start, end))
    assert bad == []
