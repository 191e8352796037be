"""CaseProcess: the same generator run as a SimPy process would run it, with fewer events.

EngineProcess: a SimPy process, event for event, resumed by the same loop.
"""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
from typing import Any

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from gridtwin.sim.processes import CaseProcess, EngineProcess, fire
from gridtwin.sim.runloop import EngineEnvironment

Log = list[tuple[str, float, Any]]


def _steps(
    env: simpy.Environment, log: Log, name: str, waits: list[float]
) -> Generator[Any, Any, str]:
    log.append((name, env.now, "start"))
    for w in waits:
        got = yield env.timeout(w, value=w)
        log.append((name, env.now, got))
    return name


def _run_to_end(env: simpy.Environment) -> int:
    """Process every event; returns how many."""
    n = 0
    while env.peek() < float("inf"):
        env.step()
        n += 1
    return n


def _run_simpy(
    jobs: list[tuple[float, list[float]]], env: simpy.Environment | None = None
) -> tuple[list[Any], int]:
    """Each job a process of ``env`` (SimPy's own by default); the last one waits on the rest."""
    env = simpy.Environment() if env is None else env
    log: Log = []

    def delayed(name: str, delay: float, waits: list[float]) -> Generator[Any, Any, Any]:
        yield env.timeout(delay)
        return (yield from _steps(env, log, name, waits))

    procs = [env.process(delayed(f"p{i}", delay, waits)) for i, (delay, waits) in enumerate(jobs)]

    def gather() -> Generator[Any, Any, None]:
        done = yield env.all_of(procs)
        log.append(("all", env.now, sorted(done.values())))

    env.process(gather())
    return log, _run_to_end(env)


JOBS = st.lists(
    st.tuples(
        st.integers(0, 50).map(float),
        st.lists(st.integers(0, 20).map(float), max_size=4),
    ),
    min_size=1,
    max_size=8,
)
"""Processes as (start delay, waits): whole-number times, so that ties are common."""


def _run_case(jobs: list[tuple[float, list[float]]]) -> tuple[list[Any], int]:
    env = simpy.Environment()
    log: Log = []
    for i, (delay, waits) in enumerate(jobs):
        CaseProcess(env, _steps(env, log, f"p{i}", waits), delay)
    return log, _run_to_end(env)


@settings(max_examples=60, deadline=None)
@given(JOBS)
def test_same_steps_in_the_same_order_as_a_simpy_process_two_events_fewer(
    jobs: list[tuple[float, list[float]]],
) -> None:
    # Whole-number times make ties common: the order among simultaneous events must hold too.
    expected, simpy_events = _run_simpy(jobs)
    got, case_events = _run_case(jobs)
    assert got == expected[:-1]  # without the gathering process
    # SimPy spends an Initialize event and the process's own end event on each process.
    assert case_events == simpy_events - 2 * len(jobs) - 3  # gather: start, all_of, end


@settings(max_examples=60, deadline=None)
@given(JOBS)
def test_the_engines_processes_are_simpys_event_for_event(
    jobs: list[tuple[float, list[float]]],
) -> None:
    expected = _run_simpy(jobs)
    env = EngineEnvironment()
    assert _run_simpy(jobs, env) == expected  # the same steps, values and number of events
    assert isinstance(env.process(_steps(env, [], "x", [])), EngineProcess)


def test_an_engine_process_ends_as_an_event_and_fails_loudly() -> None:
    env = EngineEnvironment()

    def gen() -> Generator[Any, Any, str]:
        yield env.timeout(2.0)
        return "closed"

    def broken() -> Generator[Any, Any, None]:
        yield env.timeout(1.0)
        raise ValueError("broken worker")

    proc = env.process(gen())
    assert proc.is_alive and proc.name == "gen"
    assert _run_to_end(env) == 3  # Initialize, the timeout, the process's own end
    assert proc.processed and proc.value == "closed" and not proc.is_alive
    env.process(broken())
    with pytest.raises(ValueError, match="broken worker"):
        env.run()
    with pytest.raises(ValueError, match="not a generator"):
        EngineProcess(env, 5)  # type: ignore[arg-type]


def test_starts_after_its_delay_with_none() -> None:
    env = simpy.Environment()
    seen: list[tuple[float, Any]] = []

    def gen() -> Generator[Any, Any, None]:
        seen.append((env.now, "started"))
        yield env.timeout(1.5)
        seen.append((env.now, "done"))

    CaseProcess(env, gen(), 10.0)
    env.run(until=9.0)
    assert seen == []
    env.run()
    assert seen == [(10.0, "started"), (11.5, "done")]


def test_nobody_waiting_ends_it_at_once_and_a_later_waiter_gets_its_value() -> None:
    env = simpy.Environment()

    def gen() -> Generator[Any, Any, str]:
        yield env.timeout(2.0)
        return "closed"

    proc = CaseProcess(env, gen(), 0.0)
    env.run()
    assert proc.processed and proc.ok and proc.value == "closed"
    assert not proc.is_alive

    got: list[Any] = []

    def later() -> Generator[Any, Any, None]:
        got.append((yield proc))

    env.process(later())
    env.run()
    assert got == ["closed"]


def test_a_waiter_registered_before_the_end_is_woken_by_the_process_event() -> None:
    env = simpy.Environment()

    def gen() -> Generator[Any, Any, int]:
        yield env.timeout(3.0)
        return 42

    proc = CaseProcess(env, gen(), 1.0)
    got: list[tuple[float, Any]] = []

    def waiter() -> Generator[Any, Any, None]:
        value = yield proc
        got.append((env.now, value))

    env.process(waiter())
    both = env.all_of([proc])
    env.run()
    assert got == [(4.0, 42)]
    assert both.processed


def test_an_error_in_the_case_fails_the_run_loudly() -> None:
    env = simpy.Environment()

    def gen() -> Generator[Any, Any, None]:
        yield env.timeout(1.0)
        raise ValueError("broken case")

    CaseProcess(env, gen(), 0.0)
    with pytest.raises(ValueError, match="broken case"):
        env.run()


def test_a_failed_event_is_thrown_into_the_generator() -> None:
    env = simpy.Environment()
    caught: list[str] = []

    def gen() -> Generator[Any, Any, None]:
        bad = env.event()
        bad.fail(KeyError("no staff"))
        try:
            yield bad
        except KeyError as exc:
            caught.append(str(exc.args[0]))

    CaseProcess(env, gen(), 0.0)
    env.run()
    assert caught == ["no staff"]


def test_yielding_something_else_than_an_event_is_an_error() -> None:
    env = simpy.Environment()

    def gen() -> Generator[Any, Any, None]:
        yield 5

    CaseProcess(env, gen(), 0.0)
    with pytest.raises(RuntimeError, match="not an event"):
        env.run()


def test_negative_delay_is_refused() -> None:
    env = simpy.Environment()

    def gen() -> Generator[Any, Any, None]:
        yield env.timeout(1.0)

    with pytest.raises(ValueError, match="Negative delay"):
        CaseProcess(env, gen(), -1.0)


def _reveal_world(fire_it: bool, reveal_at: list[float]) -> tuple[Log, int]:
    """Processes waiting on events that timers reveal (by ``fire`` or by ``succeed``)."""
    env = simpy.Environment()
    log: Log = []

    def waiter(name: str, found: simpy.Event) -> Generator[Any, Any, None]:
        got = yield found
        log.append((name, env.now, got))
        yield env.timeout(0.5)  # reveals fall on whole times: no other event shares theirs
        log.append((name, env.now, "after"))

    def reveal(found: simpy.Event, value: str, _timer: simpy.Event) -> None:
        if fire_it:
            fire(found, value)
        else:
            found.succeed(value)

    for i, t in enumerate(reveal_at):
        found = env.event()
        CaseProcess(env, waiter(f"w{i}", found), 0.0)
        timer = env.timeout(t)
        timer.callbacks.append(partial(reveal, found, f"v{i}"))
    return log, _run_to_end(env)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 50).map(float), min_size=1, max_size=8, unique=True))
def test_fire_resumes_waiters_as_succeed_would_one_event_sooner(reveal_at: list[float]) -> None:
    fired, n_fired = _reveal_world(True, reveal_at)
    succeeded, n_succeeded = _reveal_world(False, reveal_at)
    assert fired == succeeded
    assert n_fired == n_succeeded - len(reveal_at)


def test_a_fired_event_counts_as_triggered_and_processed() -> None:
    env = simpy.Environment()
    ev = env.event()
    seen: list[Any] = []
    ev.callbacks.append(lambda e: seen.append(e.value))
    fire(ev, 7)
    assert ev.triggered and ev.processed and ev.ok and ev.value == 7 and seen == [7]
