"""The distributions' inverse distribution functions, compiled with the engine.

:meth:`Distribution.quantile <gridtwin.scenarios.distributions._Dist.quantile>` returns one
of these: a callable ``u -> value * factor`` with its parameters bound. The engine calls them
millions of times (every case turns its own uniform numbers into times this way); compiled,
a call costs no interpreted frame. Each computes exactly what the plain formula in Python
computes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

__all__ = [
    "EmpiricalQuantile",
    "ExponentialQuantile",
    "FixedQuantile",
    "GammaQuantile",
    "LogNormalQuantile",
    "TriangularQuantile",
]


class FixedQuantile:
    """Always ``value``."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self, u: float) -> float:
        """The value, whatever ``u``."""
        return self.value


class ExponentialQuantile:
    """``-mean * log1p(-u) * factor``."""

    def __init__(self, mean: float, factor: float) -> None:
        self.mean = mean
        self.factor = factor

    def __call__(self, u: float) -> float:
        """The value at ``u``."""
        return -self.mean * math.log1p(-u) * self.factor


class LogNormalQuantile:
    """``exp(mu + sigma * z(u)) * factor``, ``z`` the standard normal's inverse (``u`` > 0).

    Args:
        mu: Mean of the log.
        sigma: Standard deviation of the log.
        factor: Multiplier of every value.
        inv_cdf: The standard normal's inverse distribution function.
        tiny: What ``u`` = 0 is read as (the inverse is infinite there).
    """

    def __init__(
        self, mu: float, sigma: float, factor: float, inv_cdf: Callable[[float], float], tiny: float
    ) -> None:
        self.mu = mu
        self.sigma = sigma
        self.factor = factor
        self.inv_cdf = inv_cdf
        self.tiny = tiny

    def __call__(self, u: float) -> float:
        """The value at ``u``."""
        z = self.inv_cdf(u if u > 0.0 else self.tiny)
        return math.exp(self.mu + self.sigma * z) * self.factor


class GammaQuantile:
    """``gammaincinv(shape, u) * scale * factor`` (the regularised incomplete gamma inverted).

    Args:
        shape: The shape ``k``.
        scale: The scale ``theta``.
        factor: Multiplier of every value.
        gammaincinv: SciPy's ``gammaincinv``.
    """

    def __init__(
        self,
        shape: float,
        scale: float,
        factor: float,
        gammaincinv: Callable[[float, float], float],
    ) -> None:
        self.shape = shape
        self.scale = scale
        self.factor = factor
        self.gammaincinv = gammaincinv

    def __call__(self, u: float) -> float:
        """The value at ``u``."""
        return float(self.gammaincinv(self.shape, u)) * self.scale * self.factor


class TriangularQuantile:
    """The triangular distribution on ``[low, high]`` with its ``mode``, inverted."""

    def __init__(self, low: float, mode: float, high: float, factor: float) -> None:
        self.low = low
        self.high = high
        self.factor = factor
        self.cut = (mode - low) / (high - low)
        self.left = (high - low) * (mode - low)
        self.right = (high - low) * (high - mode)

    def __call__(self, u: float) -> float:
        """The value at ``u``."""
        if u < self.cut:
            return (self.low + math.sqrt(u * self.left)) * self.factor
        return (self.high - math.sqrt((1.0 - u) * self.right)) * self.factor


class EmpiricalQuantile:
    """Each of ``values`` (already multiplied by the factor) with equal probability."""

    def __init__(self, values: Sequence[float]) -> None:
        self.values = [float(v) for v in values]
        self.n = len(self.values)

    def __call__(self, u: float) -> float:
        """The value at ``u``."""
        return self.values[min(int(u * self.n), self.n - 1)]
