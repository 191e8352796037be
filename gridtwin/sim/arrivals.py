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
    """One uniform draw per arrival (from its type's stream), for picking who raises it."""
    draws: np.ndarray | None = None
    """``(arrivals, width)`` uniform numbers each case owns (from its type's case stream)."""

    def __len__(self) -> int:
        return len(self.time)


class ArrivalProcess:
    """Generates arrivals chunk by chunk from one stream.

    Args:
        yearly_totals: Expected arrivals per year of each case type, district-wide.
        hour_of_week: ``(types, 168)`` weights with mean 1 per type.
        cell_weights: Per type, weights over communities summing to 1.
        rng: The arrivals stream: one generator per type (so that changing one type's rate
            leaves every other type's arrivals as they were), or one generator from which a
            child per type is spawned.
        surges: ``(start, end, types, factor)``: from minute ``start`` to ``end`` the intensity
            of the types selected by the boolean mask ``types`` is multiplied by ``factor``
            (applied to whole hours).
        case_rngs: One generator per type for the numbers each case owns
            (:attr:`ArrivalBatch.draws`); none: no such numbers.
        width: How many numbers each case owns.
    """

    def __init__(
        self,
        yearly_totals: Sequence[float],
        hour_of_week: np.ndarray,
        cell_weights: Sequence[np.ndarray],
        rng: np.random.Generator | Sequence[np.random.Generator],
        surges: Sequence[tuple[float, float, np.ndarray, float]] = (),
        case_rngs: Sequence[np.random.Generator] = (),
        width: int = 0,
    ) -> None:
        self._per_minute = np.asarray(yearly_totals, dtype=float) / MINUTES_PER_YEAR
        self._how = np.asarray(hour_of_week, dtype=float)
        if self._how.shape != (len(self._per_minute), 168):
            raise ValueError(f"hour_of_week must be (types, 168), got {self._how.shape}")
        self._cum = [np.cumsum(w) for w in cell_weights]
        for c in self._cum:
            c[-1] = 1.0  # guard against rounding: the last cell closes the interval
        n_types = len(self._per_minute)
        self._rngs = list(rng.spawn(n_types)) if isinstance(rng, np.random.Generator) else list(rng)
        if len(self._rngs) != n_types:
            raise ValueError(f"needs one generator per type ({n_types}), got {len(self._rngs)}")
        self._surges = [(a, b, np.asarray(m, dtype=bool), f) for a, b, m, f in surges]
        self._case_rngs = list(case_rngs)
        if self._case_rngs and len(self._case_rngs) != n_types:
            raise ValueError(f"needs one case generator per type ({n_types})")
        self._width = width if self._case_rngs else 0

    def _intensity(self, hours: np.ndarray) -> np.ndarray:
        """Expected arrivals per type (rows) in each of the given hours (columns)."""
        lam = self._per_minute[:, None] * 60.0 * self._how[:, hours % 168]
        for start, end, types, factor in self._surges:
            during = (hours * 60.0 >= start) & (hours * 60.0 < end)
            if during.any():
                lam[np.ix_(types, during)] *= factor
        return lam

    def expected(self, t0: float, t1: float) -> np.ndarray:
        """Expected arrivals per type in ``[t0, t1)`` (whole hours)."""
        hours = np.arange(int(t0 // 60), int(np.ceil(t1 / 60)))
        return self._intensity(hours).sum(axis=1)

    def draw(self, t0: float, t1: float) -> ArrivalBatch:
        """Draw the arrivals in ``[t0, t1)``; ``t0`` and ``t1`` are whole hours."""
        h0, h1 = int(t0 // 60), int(np.ceil(t1 / 60))
        hours = np.arange(h0, h1)
        lam = self._intensity(hours)
        times, types, cells, draws, owned = [], [], [], [], []
        for k, rng in enumerate(self._rngs):
            counts = rng.poisson(lam[k])
            n = int(counts.sum())
            if n == 0:
                continue
            times.append(np.repeat(hours, counts) * 60.0 + rng.random(n) * 60.0)
            types.append(np.full(n, k, dtype=np.int32))
            cells.append(np.searchsorted(self._cum[k], rng.random(n), side="right"))
            draws.append(rng.random(n))
            if self._width:
                owned.append(self._case_rngs[k].random((n, self._width)))
        if not times:
            empty = np.empty(0)
            return ArrivalBatch(
                empty,
                empty.astype(np.int32),
                empty.astype(np.int64),
                empty,
                np.empty((0, self._width)) if self._width else None,
            )
        t = np.concatenate(times)
        order = np.argsort(t, kind="stable")
        order = order[(t[order] >= t0) & (t[order] < t1)]
        return ArrivalBatch(
            t[order],
            np.concatenate(types)[order],
            np.concatenate(cells)[order],
            np.concatenate(draws)[order],
            np.concatenate(owned)[order] if self._width else None,
        )
