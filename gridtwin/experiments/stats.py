"""Confidence intervals over replications: the statistics every comparison of runs needs.

Replications of a stochastic run are independent draws of an outcome, so a mean over ``n`` of
them has a Student-t interval. With common random numbers, two policies' replication ``r`` share
their random streams, and the interval of the *paired* differences is the honest (and usually
much narrower) one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Interval", "mean_ci", "paired_ci", "replications_needed"]


@dataclass(frozen=True, slots=True)
class Interval:
    """A mean and its two-sided confidence interval.

    With one value (or none) the interval is unknown: ``low`` and ``high`` are NaN.
    """

    mean: float
    low: float
    high: float
    n: int
    level: float = 0.95

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN when unknown)."""
        return (self.high - self.low) / 2.0

    @property
    def excludes_zero(self) -> bool:
        """Whether the whole interval lies on one side of zero."""
        return bool(self.low > 0.0 or self.high < 0.0)


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    return x[np.isfinite(x)]


def mean_ci(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """The mean of ``values`` with a Student-t confidence interval.

    Args:
        values: One outcome per replication; NaN and infinite values are left out.
        level: Confidence level in (0, 1).

    Returns:
        The interval (``mean`` NaN when no finite value is given).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    x = _clean(values)
    n = int(x.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0, level)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1, level)
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, level)


def paired_ci(
    base: Sequence[float] | np.ndarray, other: Sequence[float] | np.ndarray, level: float = 0.95
) -> Interval:
    """The mean paired difference ``other - base`` with its confidence interval.

    Args:
        base: The baseline's outcome per replication.
        other: The other policy's outcome for the same replications (same seeds), in order.
        level: Confidence level in (0, 1).

    Raises:
        ValueError: If the two do not have the same number of replications.
    """
    a, b = np.asarray(base, dtype=float).ravel(), np.asarray(other, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired values need equal lengths, got {a.size} and {b.size}")
    return mean_ci(b - a, level)


def replications_needed(
    values: Sequence[float] | np.ndarray, half_width: float, level: float = 0.95
) -> int | None:
    """Replications needed for a confidence interval no wider than ``±half_width``.

    Uses the sample standard deviation of ``values`` (per-replication outcomes or paired
    differences) and iterates the t quantile to its fixed point.

    Returns:
        The number (at least 2), or None when fewer than two finite values are given.
    """
    if half_width <= 0:
        raise ValueError(f"half_width must be > 0, got {half_width}")
    x = _clean(values)
    if x.size < 2:
        return None
    sd = float(x.std(ddof=1))
    if sd == 0.0:
        return 2
    n = max(2, int(x.size))
    for _ in range(100):
        t = float(stats.t.ppf(0.5 + level / 2.0, n - 1))
        want = max(2, math.ceil((t * sd / half_width) ** 2))
        if want == n:
            break
        n = want
    return n
