"""The engine's run loop: SimPy events processed up to a given time, with no peek per event.

:func:`advance` schedules an :class:`HourEnd` at the time to stop and processes events until
it fires. The end is scheduled URGENT (like SimPy's own process starts): every event before it
is processed first, and every event at that instant or later after it, so events are processed
in exactly the order a loop that peeks at each event's time would give. The loop is
:meth:`simpy.Environment.step` written out (pop the earliest event, set the clock, call its
callbacks, crash on a failure nobody defused): a district-year processes millions of events,
and a method call less on each counts.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator
from types import MethodType
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT, Event, Process, Timeout

from gridtwin.sim.processes import EngineProcess, failure_of

__all__ = ["EngineEnvironment", "HourEnd", "Wait", "advance"]


class Wait(Timeout):
    """SimPy's :class:`~simpy.events.Timeout`, queued without a call to ``env.schedule``.

    The same event with the same queue entry (time, priority, id): a district-year makes
    millions of timeouts, and a method call less on each counts.
    """

    def __init__(self, env: simpy.Environment, delay: float, value: Any = None) -> None:
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        self.env = env
        self.callbacks = []
        self._value = value
        self._delay = delay
        self._ok = True
        heapq.heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), self))


class EngineEnvironment(simpy.Environment):
    """A SimPy environment for the engine: a plain ``now``; compiled timeouts and processes.

    Timeouts are made as :class:`Wait`, processes as :class:`~.processes.EngineProcess`.
    SimPy's ``now`` is a property, a function call on every read (Python 3.11 does not
    specialise property reads), and the engine reads the clock a dozen times a case. Here
    ``now`` is an attribute that :func:`advance` and :meth:`step` set with the clock itself.
    """

    now: float = 0.0  # shadows SimPy's property; set whenever ``_now`` moves

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.now = self._now
        self.timeout = MethodType(Wait, self)  # type: ignore[method-assign]

    def process(self, generator: Generator[Any, Any, Any]) -> Process:  # type: ignore[override]
        """Start a process of ``generator`` now: an :class:`~.processes.EngineProcess`."""
        return EngineProcess(self, generator)

    def step(self) -> None:
        """Process the next event: :meth:`simpy.Environment.step`, the plain clock set first.

        Raises:
            EmptySchedule: If no event is left.
        """
        queue = self._queue
        if queue:
            self.now = queue[0][0]  # the time of the event SimPy's step pops next
        super().step()


class _Stop(Exception):
    """Raised by an :class:`HourEnd`'s callback to end :func:`advance`."""


def _stop(_event: Any) -> None:
    raise _Stop


class HourEnd(Event):
    """An event that stops :func:`advance` at ``delay`` from now, before any other event then.

    Not counted among the events processed.
    """

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        self.callbacks.append(_stop)
        env.schedule(self, URGENT, delay)


def advance(env: EngineEnvironment, until: float) -> int:
    """Process every event before time ``until`` (not before now); returns how many.

    The clock stands at ``until`` afterwards; events at ``until`` itself are left for the next
    call. A failed event that nobody defused raises a copy of its exception, as
    :meth:`simpy.Environment.step` does.
    """
    HourEnd(env, until - env.now)
    queue = env._queue
    pop = heapq.heappop
    n = 0
    try:
        while True:
            t, _, _, event = pop(queue)
            env._now = env.now = t
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                raise failure_of(event)
            n += 1
    except _Stop:
        return n
