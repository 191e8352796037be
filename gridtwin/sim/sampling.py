"""Samplers: values of a scenario's distributions, from the streams and numbers handed in.

:class:`BufferedSampler` hands out the next value of a component's stream, drawn in blocks;
:func:`quantile` turns a uniform number the caller owns (a case's own draw, see
:mod:`gridtwin.sim.casedraws`) into a value by inverse transform. The distributions themselves
are part of the scenario format (:mod:`gridtwin.scenarios.distributions`).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import numpy as np

from gridtwin.scenarios.distributions import _Dist

__all__ = ["BufferedSampler", "Quantile", "QuantileFn", "UniformStream", "quantile"]


class BufferedSampler:
    """Hands out draws one at a time from blocks drawn in bulk.

    Drawing one number at a time from numpy costs about a microsecond; drawing blocks and
    handing them out costs a few tens of nanoseconds. The sequence of values is the same as
    ``dist.sample(rng, n)`` called in blocks, so it is reproducible for a given stream. A block
    is kept as packed doubles (an ``array``, 8 bytes a value), not as a list of float objects:
    a grid worker's sampler is read once a patrol stop, and a run holds hundreds of them.

    Args:
        dist: What to draw.
        rng: The stream to draw from (owned by one component).
        factor: Multiplier applied to every draw (e.g. seconds to minutes).
        block: How many values to draw at once.
    """

    __slots__ = ("_dist", "_rng", "_factor", "_block", "_buf", "_i")

    def __init__(
        self, dist: _Dist | None, rng: np.random.Generator, factor: float = 1.0, block: int = 4096
    ) -> None:
        self._dist = dist
        self._rng = rng
        self._factor = factor
        self._block = block
        self._buf: array[float] = array("d")
        self._i = 0

    def _refill(self) -> array[float]:
        assert self._dist is not None
        return _packed(self._dist.sample(self._rng, self._block) * self._factor)

    def __call__(self) -> float:
        """Return the next draw."""
        i = self._i
        if i >= len(self._buf):
            self._buf = self._refill()
            i = 0
        self._i = i + 1
        return self._buf[i]


class UniformStream(BufferedSampler):
    """Uniform [0, 1) draws, one at a time, from blocks drawn in bulk (see BufferedSampler)."""

    __slots__ = ()

    def __init__(self, rng: np.random.Generator, block: int = 8192) -> None:
        super().__init__(None, rng, 1.0, block)

    def _refill(self) -> array[float]:
        return _packed(self._rng.random(self._block))


def _packed(values: np.ndarray) -> array[float]:
    """``values`` as an ``array`` of doubles (the same numbers)."""
    return array("d", np.ascontiguousarray(values, dtype=np.float64).tobytes())


QuantileFn = Callable[[float], float]
"""A distribution's value at a uniform draw: ``q(u)``."""


def quantile(dist: _Dist, factor: float = 1.0) -> QuantileFn:
    """A distribution's values from uniform draws the caller owns: ``quantile(dist)(u)``.

    Where :class:`BufferedSampler` hands out the next value of a stream shared by everything
    that asks, a quantile function turns a uniform number into a value (inverse-transform
    sampling), so each case can draw from its own numbers (see :mod:`gridtwin.sim.casedraws`).
    It is the distribution's own function, with the factor inside: the engine calls it
    millions of times, one Python call each.

    Args:
        dist: The distribution.
        factor: Multiplier applied to every value (e.g. seconds to minutes).
    """
    return dist.quantile(factor)


Quantile = quantile
"""The former name of :func:`quantile`, kept for callers (it was a class; calling it still
gives the quantile function)."""
