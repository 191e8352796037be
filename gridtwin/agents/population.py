"""Residents held as arrays: 1.1 million people cost tens of megabytes, not gigabytes.

A resident has a Mesa agent (:class:`~gridtwin.agents.residents.ResidentAgent`) only while
they have an open case; their lasting traits (community, age group, digital literacy, trust,
living alone) stay here, in one row of each array. Residents are sorted by community, so the
residents of community ``c`` are the rows ``offsets[c]:offsets[c+1]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gridtwin.scenarios.schema import Population as PopulationSpec
from gridtwin.vocab import AGE_GROUPS, AgeGroup

__all__ = ["AGE_GROUPS", "Population", "build_population", "split_total"]



@dataclass(slots=True)
class Population:
    """Residents as a structure of arrays."""

    community: np.ndarray
    age_group: np.ndarray
    literacy: np.ndarray
    trust: np.ndarray
    """Mutable: ratings move it."""
    living_alone: np.ndarray
    offsets: np.ndarray
    """``(C + 1,)`` first row of each community."""
    eligible: np.ndarray
    """Rows of elderly residents living alone, sorted by community."""
    eligible_offsets: np.ndarray
    """``(C + 1,)`` first position in ``eligible`` of each community."""
    _offsets: list[int] = field(init=False, repr=False)
    _eligible_offsets: list[int] = field(init=False, repr=False)
    _eligible: list[int] = field(init=False, repr=False)

    @property
    def size(self) -> int:
        """Number of residents."""
        return len(self.community)

    def counts(self) -> np.ndarray:
        """Residents per community."""
        return np.diff(self.offsets)

    def eligible_counts(self) -> np.ndarray:
        """Elderly living alone per community."""
        return np.diff(self.eligible_offsets)

    def __post_init__(self) -> None:
        # Python lists of the offsets: the engine picks residents one at a time, and reading a
        # list is several times faster than reading a numpy scalar.
        self._offsets = self.offsets.tolist()
        self._eligible_offsets = self.eligible_offsets.tolist()
        self._eligible = self.eligible.tolist()

    def pick(self, community: int, u: float) -> int:
        """The resident of ``community`` that uniform ``u`` selects (-1 if nobody lives there)."""
        offsets = self._offsets
        lo, hi = offsets[community], offsets[community + 1]
        return -1 if hi == lo else lo + int(u * (hi - lo))

    def pick_eligible(self, community: int, u: float) -> int:
        """Like :meth:`pick`, among elderly residents living alone."""
        offsets = self._eligible_offsets
        lo, hi = offsets[community], offsets[community + 1]
        return -1 if hi == lo else self._eligible[lo + int(u * (hi - lo))]


def split_total(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder, exact sum)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    counts = np.floor(raw).astype(np.int64)
    short = total - int(counts.sum())
    if short:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


def build_population(
    spec: PopulationSpec, weights: np.ndarray, rng: np.random.Generator
) -> Population:
    """Draw the residents of every community.

    Args:
        spec: The scenario's population part.
        weights: Population weights of the communities (sum to 1).
        rng: The population stream.
    """
    counts = split_total(spec.residents, weights)
    n = int(counts.sum())
    community = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
    groups = [g for g in AGE_GROUPS if g in spec.age_groups]
    shares = np.array([spec.age_groups[g].share for g in groups])
    codes = np.array([AGE_GROUPS.index(g) for g in groups], dtype=np.int8)
    age_group = codes[rng.choice(len(groups), size=n, p=shares / shares.sum())]
    literacy = np.empty(n)
    trust = np.empty(n)
    living_alone = np.zeros(n, dtype=bool)
    for g, code in zip(groups, codes, strict=True):
        rows = np.flatnonzero(age_group == code)
        g_spec = spec.age_groups[g]
        literacy[rows] = rng.beta(g_spec.literacy.a, g_spec.literacy.b, len(rows))
        trust[rows] = rng.beta(g_spec.trust.a, g_spec.trust.b, len(rows))
        living_alone[rows] = rng.random(len(rows)) < g_spec.living_alone_share
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    eligible = np.flatnonzero(living_alone & (age_group == AGE_GROUPS.index(AgeGroup.ELDERLY)))
    eligible_offsets = np.searchsorted(eligible, offsets).astype(np.int64)
    return Population(
        community, age_group, literacy, trust, living_alone, offsets, eligible, eligible_offsets
    )
