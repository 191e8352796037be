"""One seeded random-number tree per run.

The run owns a single :class:`numpy.random.SeedSequence` (its seed). Every component that draws
random numbers gets its own child of it, named by the component's place in a fixed list and the
purpose of the draws (``SeedSequence(seed, spawn_key=(i, crc32(purpose)))``, what
``SeedSequence.spawn`` does, addressed by name), so a stream does not depend on which other
components exist or how much they draw.
That keeps common random numbers across policies: two runs with the same seed and different
staffing see the same arrivals and the same residents. What each case draws (choice, patience,
handling...) is its own, from its type's ``cases`` stream (see :mod:`gridtwin.sim.casedraws`),
so it does not depend on what other cases do either.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["COMPONENTS", "Streams"]

COMPONENTS: tuple[str, ...] = (
    "population",
    "arrivals",
    "choice",
    "hotline",
    "consultation",
    "portal",
    "window",
    "kiosk",
    "patrol",
    "sensor",
    "routing",
    "departments",
    "materials",
    "satisfaction",
    "photo",
    "mesa",
)
"""Stream names, in spawn order. Append new names at the end: never reorder or remove."""


class Streams:
    """Named, independent generators derived from one seed.

    A stream is named by its component (one of :data:`COMPONENTS`) and a purpose within it
    (``"talk_time"``, ``"patience"``...). Component ``i`` with purpose ``p`` gets the seed
    sequence with spawn key ``(i, crc32(p))`` under the run's seed: the same numbers every
    time they are asked for, independent of every other stream.

    Args:
        seed: The run's seed.

    Example:
        >>> a = Streams(7).rng("arrivals")
        >>> b = Streams(7).rng("arrivals")
        >>> float(a.random()) == float(b.random())
        True
    """

    __slots__ = ("seed",)

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def rng(self, component: str, purpose: str = "main") -> np.random.Generator:
        """The generator of ``component`` for ``purpose``."""
        try:
            i = COMPONENTS.index(component)
        except ValueError:
            raise KeyError(
                f"unknown stream {component!r}; known: {', '.join(COMPONENTS)}"
            ) from None
        key = (i, zlib.crc32(purpose.encode()))
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))
