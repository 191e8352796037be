"""Call-outs: the end of the work at the place happens at its time, and only when it matters."""

from __future__ import annotations

import pytest

from gridtwin.agents.tasks import Task, TaskBoard, TaskKind
from gridtwin.agents.visits import HiddenWatch
from gridtwin.model import GovernanceModel
from gridtwin.scenarios.loader import load_scenario
from gridtwin.sim.cases import Case
from gridtwin.sim.processes import call_later
from gridtwin.sim.runloop import EngineEnvironment, advance


def _need(env: EngineEnvironment, case_id: int, row: int) -> Case:
    """A hidden need of resident ``row`` arising now."""
    return Case(case_id, 0, 0, row, env.now)


def test_call_later_calls_with_the_time_it_fires() -> None:
    env = EngineEnvironment()
    got: list[float] = []
    call_later(env, 2.5, got.append)
    advance(env, 2.5)
    assert got == []  # not before its time
    advance(env, 10.0)
    assert got == [2.5]


def test_a_visit_to_a_resident_without_needs_makes_no_event() -> None:
    env = EngineEnvironment()
    watch, got = HiddenWatch(env), []
    watch.call_if_in_need(7, 30.0, got.append)
    assert env.peek() == float("inf")
    watch.add(_need(env, 0, 8))  # another resident's need changes nothing
    assert advance(env, 100.0) == 0
    assert got == []


def test_a_need_arising_during_the_visit_brings_its_end_on() -> None:
    env = EngineEnvironment()
    watch, got = HiddenWatch(env), []
    watch.call_if_in_need(7, 30.0, got.append)
    watch.call_if_in_need(7, 50.0, got.append)  # a second visit under way
    advance(env, 40.0)
    watch.add(_need(env, 0, 7))  # after the first visit's end, before the second's
    watch.add(_need(env, 1, 7))  # a second need: the end is not brought on twice
    advance(env, 100.0)
    assert got == [50.0]


def test_a_need_arising_after_the_visit_does_not_reach_back() -> None:
    env = EngineEnvironment()
    watch, got = HiddenWatch(env), []
    watch.call_if_in_need(7, 30.0, got.append)
    advance(env, 31.0)
    watch.add(_need(env, 0, 7))
    advance(env, 100.0)
    assert got == []


def test_a_resident_with_a_need_not_found_gets_the_visits_end_and_one_found_does_not() -> None:
    env = EngineEnvironment()
    watch, got = HiddenWatch(env), []
    need = _need(env, 0, 7)
    watch.add(need)
    watch.call_if_in_need(7, 30.0, got.append)
    advance(env, 100.0)
    assert got == [30.0]
    need.found = env.event()
    need.found.succeed(None)
    watch.call_if_in_need(7, 130.0, got.append)
    assert advance(env, 200.0) == 1  # the found event only
    assert got == [30.0]


@pytest.fixture(scope="module")
def street() -> GovernanceModel:
    return GovernanceModel(load_scenario("street", ["run.horizon_days=5"]), seed=1)


def test_setting_out_counts_the_call_out_and_returns_the_end_of_the_work(
    street: GovernanceModel,
) -> None:
    m = street
    board = TaskBoard(m)
    got: list[float] = []
    start = m.warmup + 5.0
    task = Task(TaskKind.RELIEF, 0, 12.0, got.append)
    end = board.set_out(task, start, 3.0)
    assert end == start + 15.0
    assert board.count[TaskKind.RELIEF] == 1 and board.minutes[TaskKind.RELIEF] == 18.0
    advance(m.env, end)
    assert got == []
    advance(m.env, end + 1.0)
    assert got == [pytest.approx(end)]


def test_a_task_with_nothing_at_its_end_makes_no_event(street: GovernanceModel) -> None:
    m = street
    board = TaskBoard(m, HiddenWatch(m.env))
    pending = len(m.env._queue)
    board.set_out(Task(TaskKind.FALSE_ALARM, 0, 20.0), m.env.now, 4.0)
    board.set_out(Task(TaskKind.HOME_VISIT, 0, 20.0, print, resident=3), m.env.now, 4.0)
    assert len(m.env._queue) == pending
