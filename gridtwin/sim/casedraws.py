"""Each case's own random numbers: common random numbers that hold across policies.

A stream shared by many cases and consumed in event order couples them: when a policy makes
one case draw once more (a caller who retries), every later case of that stream gets the
number after the one it had, and outcomes move that the policy cannot reach. So every number
a case (or a grid worker's visit to it) uses is the case's own: at arrival, each case gets a
row of uniform numbers from its type's ``cases`` stream, cut into slots by :class:`Draw`
purpose. The ``k``-th draw for a purpose takes that purpose's ``k``-th slot; a purpose that
needs more than its slots (a caller retrying many times, a hidden need visited for weeks)
goes on with numbers hashed from (seed, case id, purpose, k). Nothing another case does moves
them, and a purpose drawn more or less often leaves the other purposes' numbers in place.
Values of any distribution come from these numbers by inverse transform
(:func:`~gridtwin.sim.sampling.quantile`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np

__all__ = [
    "ENDS",
    "WIDTH",
    "PURPOSES",
    "Draw",
    "Prefetch",
    "case_key",
    "keyed_uniform",
    "keyed_uniforms",
    "overflow_uniform",
    "slots",
]


class Draw:
    """What a case draws a number for: each purpose's number, indexing :data:`OFFSETS`.

    Plain int constants, not an ``IntEnum``: every draw names its purpose, and enum members are
    slow to read on Python 3.11 (see :mod:`gridtwin.vocab`). :data:`PURPOSES` names them.
    """

    APPLY_DELAY: Final = 0
    CHOICE: Final = 1
    FALLBACK: Final = 2
    AT_INTAKE: Final = 3
    MATERIALS: Final = 4
    TRIP: Final = 5
    FETCH: Final = 6
    DISPATCH: Final = 7
    ROUTE: Final = 8
    WRONG: Final = 9
    REVIEW: Final = 10
    WHISTLE: Final = 11
    ENTRY: Final = 12
    HANDLING: Final = 13
    SATISFACTION: Final = 14
    REPORT: Final = 15
    REPORT_DELAY: Final = 16
    SENSOR_DELAY: Final = 17
    DETECT: Final = 18
    SETTLE: Final = 19
    PATIENCE: Final = 20
    TALK: Final = 21
    RETRY: Final = 22
    RETRY_DELAY: Final = 23
    SUBMIT: Final = 24
    INTAKE_FAIL: Final = 25
    SPREAD: Final = 26
    SERVICE: Final = 27
    RATE: Final = 28
    COMPLAINT: Final = 29
    WORD_OF_MOUTH: Final = 30
    BOUNCE_LAG: Final = 31
    FRONT_DESK: Final = 32
    EXPERT: Final = 33
    HANDOVER: Final = 34
    STALL: Final = 35
    PAPER: Final = 36
    FIX: Final = 37
    REWORK: Final = 38
    ALARM: Final = 39
    ASSIST: Final = 40
    VISIT: Final = 41
    PHOTO: Final = 42
    CAMERA: Final = 43
    APPS: Final = 44


PURPOSES: tuple[str, ...] = tuple(
    name
    for name, _ in sorted(
        ((n, v) for n, v in vars(Draw).items() if n.isupper()), key=lambda item: item[1]
    )
)
"""The purposes' names, in the order of their numbers (0, 1, ...)."""
assert [getattr(Draw, n) for n in PURPOSES] == list(range(len(PURPOSES)))

_HASHED_ONLY = (
    Draw.HANDOVER,
    Draw.STALL,
    Draw.PAPER,
    Draw.FIX,
    Draw.REWORK,
    Draw.ALARM,
    Draw.ASSIST,
    Draw.VISIT,
    Draw.PHOTO,
    Draw.CAMERA,
    Draw.APPS,
)
"""Purposes of the optional levers: no slots in the row (so a case's row, and every number
drawn before these purposes existed, stays as it was); all their numbers are hashed."""


_CAPACITY = {
    Draw.CHOICE: 3,
    Draw.FALLBACK: 2,
    Draw.AT_INTAKE: 2,
    Draw.MATERIALS: 4,
    Draw.TRIP: 4,
    Draw.DISPATCH: 3,
    Draw.ROUTE: 4,
    Draw.WRONG: 3,
    Draw.HANDLING: 3,
    Draw.REPORT: 2,
    Draw.SETTLE: 2,
    Draw.PATIENCE: 3,
    Draw.RETRY: 2,
    Draw.RETRY_DELAY: 2,
    Draw.SPREAD: 2,
    **dict.fromkeys(_HASHED_ONLY, 0),
}


def slots() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Offset and number of slots of each purpose in a case's row, indexed by :class:`Draw`."""
    offsets, sizes, at = [], [], 0
    for d in range(len(PURPOSES)):
        n = _CAPACITY.get(d, 1)
        offsets.append(at)
        sizes.append(n)
        at += n
    return tuple(offsets), tuple(sizes)


OFFSETS, SIZES = slots()
ENDS = tuple(o + n for o, n in zip(OFFSETS, SIZES, strict=True))
"""The end of each purpose's slots in a case's row."""
WIDTH = OFFSETS[-1] + SIZES[-1]
"""Uniform numbers drawn for each case at arrival."""

_M64 = (1 << 64) - 1
_GAMMA, _MUL1, _MUL2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
"""SplitMix64's increment and its finaliser's two multipliers."""
_UNIT = 1.0 / 9007199254740992.0
"""2**-53: the top 53 bits of a mixed word scaled to [0, 1)."""


def _mix(x: int) -> int:
    """SplitMix64's finaliser: a bijection of 64-bit integers that scrambles every bit."""
    x = (x + _GAMMA) & _M64
    x = ((x ^ (x >> 30)) * _MUL1) & _M64
    x = ((x ^ (x >> 27)) * _MUL2) & _M64
    return x ^ (x >> 31)


def case_key(seed: int, case_id: int) -> int:
    """A case's key for its hashed numbers: ``mix(mix(seed) ^ case_id)``."""
    return _mix(_mix(seed & _M64) ^ case_id)


def keyed_uniform(key: int, purpose: int, k: int) -> float:
    """The ``k``-th hashed number of ``purpose`` for the case of ``key``: uniform in [0, 1).

    ``mix(key ^ (purpose << 32 | k))``, the mix written out here: the levers draw millions of
    these, and a call less each counts.
    """
    x = (key ^ ((purpose << 32) | (k & 0xFFFFFFFF))) + _GAMMA & _M64
    x = ((x ^ (x >> 30)) * _MUL1) & _M64
    x = ((x ^ (x >> 27)) * _MUL2) & _M64
    return ((x ^ (x >> 31)) >> 11) * _UNIT


def overflow_uniform(seed: int, case_id: int, purpose: int, k: int) -> float:
    """The ``k``-th number of a case's purpose beyond its slots: uniform in [0, 1).

    ``mix(mix(mix(seed) ^ case_id) ^ (purpose << 32 | k))``; a case keeps its
    :func:`case_key` and calls :func:`keyed_uniform` itself.
    """
    return keyed_uniform(case_key(seed, case_id), purpose, k)


def _mix_array(x: np.ndarray) -> np.ndarray:
    """:func:`_mix` on an array of unsigned 64-bit integers (numpy's arithmetic wraps)."""
    x = x + np.uint64(_GAMMA)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(_MUL1)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(_MUL2)
    return x ^ (x >> np.uint64(31))


def keyed_uniforms(
    seed: int, case_ids: np.ndarray, columns: tuple[tuple[int, int], ...]
) -> np.ndarray:
    """Many cases' hashed numbers at once, one row per case id.

    Column ``j`` is number ``k`` of purpose ``p`` for ``(p, k) = columns[j]``: bit for bit
    ``keyed_uniform(case_key(seed, id), p, k)``, the same SplitMix64 in numpy's wrapping
    64-bit integers and the same top 53 bits scaled to [0, 1).
    """
    ids = np.asarray(case_ids, dtype=np.uint64)
    out = np.empty((len(ids), len(columns)))
    keys = _mix_array(np.uint64(_mix(seed & _M64)) ^ ids)
    for j, (purpose, k) in enumerate(columns):
        x = _mix_array(keys ^ np.uint64((purpose << 32) | (k & 0xFFFFFFFF)))
        out[:, j] = (x >> np.uint64(11)).astype(np.float64) * _UNIT
    return out


class Prefetch:
    """Hashed numbers a run's levers draw for most cases, computed in bulk at arrival.

    The purposes of the optional levers have no slots in a case's row; their numbers are
    hashed (:func:`keyed_uniform`), at about a microsecond each in Python. A run whose levers
    will draw some of them for most cases computes those in one numpy pass per week of
    arrivals (:func:`keyed_uniforms`) and keeps them after the row: the same numbers, sooner.

    Args:
        counts: How many numbers of each lever purpose (a :class:`Draw`) to compute per case.
    """

    __slots__ = ("columns", "table", "width")

    def __init__(self, counts: Mapping[int, int]) -> None:
        wanted = sorted((p, n) for p, n in counts.items() if n > 0)
        for p, _ in wanted:
            if p not in _HASHED_ONLY:
                raise ValueError(f"{PURPOSES[p]} has slots in the row: it is not prefetched")
        self.columns = tuple((int(p), k) for p, n in wanted for k in range(n))
        """``(purpose, k)`` of each computed number, in the order kept after the row."""
        table = [(0, 0)] * len(PURPOSES)
        at = 0
        for p, n in wanted:
            table[p] = (at, n)
            at += n
        self.table = tuple(table)
        """Per purpose: where its numbers start after the row, and how many there are."""
        self.width = at
