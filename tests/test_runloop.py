"""The run loop: events processed in SimPy's own order, up to a time, failures raised."""

from __future__ import annotations

import inspect
from collections.abc import Generator
from typing import Any

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from gridtwin.sim.runloop import EngineEnvironment, Wait, advance

Log = list[tuple[float, str]]


def _world(env: simpy.Environment, jobs: list[list[float]], log: Log) -> None:
    """Processes waiting on timeouts (ties included), one waiting on another's end."""

    def job(name: str, waits: list[float]) -> Generator[Any, Any, str]:
        for w in waits:
            yield env.timeout(w)
            log.append((env.now, name))
        return name

    procs = [env.process(job(f"p{i}", waits)) for i, waits in enumerate(jobs)]

    def watcher() -> Generator[Any, Any, None]:
        got = yield procs[0]
        log.append((env.now, f"saw {got}"))

    env.process(watcher())


def _simpy_until(jobs: list[list[float]], stops: list[float]) -> tuple[Log, list[int]]:
    env, log = simpy.Environment(), []
    _world(env, jobs, log)
    counts = []
    for until in stops:
        n = 0
        while env.peek() < until:
            env.step()
            n += 1
        env._now = until  # where advance() leaves the clock
        counts.append(n)
    return log, counts


waits = st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.25]), max_size=6)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(waits, min_size=1, max_size=6),
    st.lists(st.sampled_from([0.5, 1.0, 2.0, 4.0]), min_size=1, max_size=4),
)
def test_advance_processes_events_in_simpys_order_and_stops_before_until(
    jobs: list[list[float]], steps: list[float]
) -> None:
    stops = []
    t = 0.0
    for s in steps:
        t += s
        stops.append(t)
    expected, expected_counts = _simpy_until(jobs, stops)
    env = EngineEnvironment()
    log: Log = []
    _world(env, jobs, log)
    counts = []
    for until in stops:
        counts.append(advance(env, until))
        assert env.now == until == env._now
        assert all(when < until for when, _ in log)  # nothing at `until` itself yet
    assert log == expected
    assert counts == expected_counts


@settings(max_examples=40, deadline=None)
@given(st.lists(waits, min_size=1, max_size=6), st.sampled_from([0.5, 2.0, 9.0]))
def test_the_engines_plain_clock_follows_simpys_own_run_and_step(
    jobs: list[list[float]], until: float
) -> None:
    plain, engine = simpy.Environment(), EngineEnvironment()
    logs: tuple[Log, Log] = ([], [])
    for env, log in zip((plain, engine), logs, strict=True):
        _world(env, jobs, log)
        env.run(until=until)
    assert logs[0] == logs[1]
    assert engine.now == plain.now == until
    while engine.peek() < float("inf"):
        due = engine.peek()
        engine.step()
        assert engine.now == engine._now == due


def test_the_engines_timeouts_are_simpys() -> None:
    env = EngineEnvironment()
    wait = env.timeout(2.5, "value")
    assert isinstance(wait, Wait) and isinstance(wait, simpy.events.Timeout)
    assert (wait.triggered, wait.ok, wait.value) == (True, True, "value")
    assert env.peek() == 2.5
    assert env.now == 0.0  # an attribute, not SimPy's property: it follows the clock
    assert not isinstance(inspect.getattr_static(EngineEnvironment, "now"), property)
    env.run()
    assert env.now == env._now == 2.5
    with pytest.raises(ValueError, match="Negative delay"):
        env.timeout(-1.0)


def test_an_undefused_failure_is_raised_and_a_defused_one_is_not() -> None:
    env = EngineEnvironment()
    bad = env.event()
    bad.fail(ValueError("broken"))
    with pytest.raises(ValueError, match="broken"):
        advance(env, 1.0)
    env = EngineEnvironment()
    env.event().fail(ValueError("broken in a step"))
    with pytest.raises(ValueError, match="broken in a step"):
        env.step()
    with pytest.raises(simpy.core.EmptySchedule):
        env.step()
    env = EngineEnvironment()
    quiet = env.event()
    quiet.fail(ValueError("handled"))
    quiet.defused = True
    assert advance(env, 1.0) == 1
