"""Arrivals of needs and events: non-homogeneous Poisson processes, drawn in bulk.

Each case type has a yearly rate spread over the week by an hour-of-week profile, and over
the cells by weights (residents, area or eligible residents per community). Within one hour
the intensity is constant, so the count in that hour is Poisson and the times are uniform in
it: an exact draw of the piecewise-constant process, at the cost of a few vector operations per
chunk instead of one Python call per candidate point. The engine asks for one chunk (a week)
at a time, so memory does not grow with the horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ArrivalBatch", "ArrivalProcess"]

MINUTES_PER_YEAR = 365.0 * 1440.0


@dataclass(frozen=True, slots=True)
class ArrivalBatch:
    """Arrivals in one chunk of time, sorted by time."""

    time: np.ndarray
    """Minutes from the start of the run."""
    type_index: np.ndarray
    community: np.ndarray
    u: np.ndarray
    """One uniform draw per arrival, for picking who raises it within the community."""

    def __len__(self) -> int:
        return len(self.time)


class ArrivalProcess:
    """Generates arrivals chunk by chunk from one stream.

    Args:
        yearly_totals: Expected arrivals per year of each case type, district-wide.
        hour_of_week: ``(types, 168)`` weights with mean 1 per type.
        cell_weights: Per type, weights over communities summing to 1.
        rng: The arrivals stream.
    """

    def __init__(
        self,
        yearly_totals: Sequence[float],
        hour_of_week: np.ndarray,
        cell_weights: Sequence[np.ndarray],
        rng: np.random.Generator,
    ) -> None:
        self._per_minute = np.asarray(yearly_totals, dtype=float) / MINUTES_PER_YEAR
        self._how = np.asarray(hour_of_week, dtype=float)
        if self._how.shape != (len(self._per_minute), 168):
            raise ValueError(f"hour_of_week must be (types, 168), got {self._how.shape}")
        self._cum = [np.cumsum(w) for w in cell_weights]
        for c in self._cum:
            c[-1] = 1.0  # guard against rounding: the last cell closes the interval
        self._rng = rng

    def expected(self, t0: float, t1: float) -> np.ndarray:
        """Expected arrivals per type in ``[t0, t1)`` (whole hours)."""
        hours = np.arange(int(t0 // 60), int(np.ceil(t1 / 60)))
        return self._per_minute * 60.0 * self._how[:, hours % 168].sum(axis=1)

    def draw(self, t0: float, t1: float) -> ArrivalBatch:
        """Draw the arrivals in ``[t0, t1)``; ``t0`` and ``t1`` are whole hours."""
        rng = self._rng
        h0, h1 = int(t0 // 60), int(np.ceil(t1 / 60))
        hours = np.arange(h0, h1)
        lam = self._per_minute[:, None] * 60.0 * self._how[:, hours % 168]
        counts = rng.poisson(lam)
        times, types, cells = [], [], []
        for k in range(len(self._per_minute)):
            n = int(counts[k].sum())
            if n == 0:
                continue
            start = np.repeat(hours, counts[k]) * 60.0
            times.append(start + rng.random(n) * 60.0)
            types.append(np.full(n, k, dtype=np.int32))
            cells.append(np.searchsorted(self._cum[k], rng.random(n), side="right"))
        if not times:
            empty = np.empty(0)
            return ArrivalBatch(empty, empty.astype(np.int32), empty.astype(np.int64), empty)
        t = np.concatenate(times)
        order = np.argsort(t, kind="stable")
        u = rng.random(len(t))
        keep = (t[order] >= t0) & (t[order] < t1)
        order = order[keep]
        return ArrivalBatch(
            t[order], np.concatenate(types)[order], np.concatenate(cells)[order], u[: len(order)]
        )
