"""Case processes: SimPy processes that start at a time of their own and end quietly.

A district-year runs a million case processes, and SimPy spends two events on each that tell
the model nothing: an ``Initialize`` event that starts the generator (which at once waits until
its case arises), and, when the generator returns, the process itself scheduled as an event for
whoever waits on it. A :class:`CaseProcess` starts its generator when a timeout of the given
delay fires, and when the generator returns with nobody waiting on the process it is marked
processed at once instead of passing through the event queue. The generator sees exactly the
same sequence of events and values; a process that fails, or that somebody waits on, is
scheduled as SimPy would.

An :class:`EngineProcess` is SimPy's own process (started by an ``Initialize`` event, itself an
event when it ends) resumed by the same compiled loop: what ``env.process`` makes in the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import simpy
from simpy.events import Event, Initialize, Process

__all__ = ["CaseProcess", "EngineProcess", "call_later", "failure_of", "fire"]


class CaseProcess(Process):
    """A process whose generator starts ``delay`` minutes from now.

    Args:
        env: The SimPy environment.
        generator: The process's generator; it is first resumed with ``None`` after ``delay``.
        delay: Minutes from now until the generator starts (at least 0).
    """

    def __init__(
        self, env: simpy.Environment, generator: Generator[Any, Any, Any], delay: float
    ) -> None:
        # Inlined from Process.__init__ (which would schedule an Initialize event now).
        self.env = env
        self.callbacks: list[Any] | None = []  # type: ignore[assignment]  # None: processed
        self._generator = generator
        self._quiet = True
        """Whether the end goes unscheduled when nobody waits on the process."""
        start = env.timeout(delay)
        start.callbacks.append(self._resume)
        self._target: Event = start

    def _resume(self, event: Event) -> None:
        """Resume the generator with ``event``'s outcome; SimPy's own loop, one step quieter.

        When the generator returns and nobody waits on the process, a quiet process is marked
        processed (``callbacks`` None) with its value at once: a later ``yield`` on it resumes
        immediately, as it would after the process's own event had been processed.
        """
        env = self.env
        env._active_proc = self
        generator = self._generator
        while True:
            try:
                if event._ok:
                    event = generator.send(event._value)
                else:
                    event._defused = True
                    event = generator.throw(failure_of(event))
            except StopIteration as stop:
                self._ok = True
                self._value = stop.value
                if self.callbacks or not self._quiet:
                    env.schedule(self)
                else:
                    self.callbacks = None  # type: ignore[assignment]
                self._target = None  # type: ignore[assignment]
                break
            except BaseException as exc:
                self._ok = False
                self._value = exc
                env.schedule(self)
                self._target = None  # type: ignore[assignment]
                break
            try:
                callbacks = event.callbacks
            except AttributeError:
                raise RuntimeError(f"a case process yielded {event!r}, not an event") from None
            if callbacks is not None:  # not processed yet: wait for it
                callbacks.append(self._resume)
                self._target = event
                break
        env._active_proc = None


class EngineProcess(CaseProcess):
    """SimPy's :class:`~simpy.events.Process`, resumed by :meth:`CaseProcess._resume`.

    Started at once by an ``Initialize`` event and scheduled as an event when it ends, as
    SimPy's: the same events in the same order, with the resume loop compiled with the engine.

    Args:
        env: The SimPy environment.
        generator: The process's generator.

    Raises:
        ValueError: If ``generator`` is not a generator.
    """

    def __init__(self, env: simpy.Environment, generator: Generator[Any, Any, Any]) -> None:
        if not hasattr(generator, "throw"):
            raise ValueError(f"{generator} is not a generator.")
        self.env = env
        self.callbacks = []
        self._generator = generator
        self._quiet = False
        self._target = Initialize(env, self)


def fire(event: Event, value: Any) -> None:
    """Succeed ``event`` with ``value`` and run its callbacks at once, not through the queue.

    For an event triggered by a timeout's callback at a time that no other event shares (a
    continuous random time): the run loop would process it next in any case, so its waiters
    resume at the same instant and in the same order, one event sooner.
    """
    event._ok = True
    event._value = value
    callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
    for callback in callbacks:
        callback(event)


def call_later(env: simpy.Environment, delay: float, fn: Callable[[float], None]) -> Event:
    """Call ``fn`` with the time ``delay`` minutes from now, then: a timeout's callback.

    For work that only has to happen at a time (no process waits on it): one event, and no
    generator to resume.
    """
    wait = env.timeout(delay)
    wait.callbacks.append(partial(_call_with_now, fn))
    return wait


def _call_with_now(fn: Callable[[float], None], event: Event) -> None:
    fn(event.env.now)


def failure_of(event: Event) -> BaseException:
    """A copy of a failed event's exception, caused by the original (as SimPy raises it)."""
    failure = event._value
    exc = type(failure)(*failure.args)
    exc.__cause__ = failure
    return exc
