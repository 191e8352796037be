"""Cases waiting for a grid worker to spot them, community by community.

Each visit to a community, by any of its grid's workers, spots each waiting case there
independently with a probability (``detect_probability`` for events,
``visit_detect_probability`` for hidden needs). So a case is spotted on the ``k``-th visit
after it is listed, ``k`` geometric (:func:`visits_until_found`), drawn once from the case's
own number. The lists keep, per community, how many visits it has had and a heap of the visit
at which each listed case will be spotted: a visit takes out only the cases it spots, however
many are waiting.

A case found otherwise (a resident's report, a sensor) is paused: the visits while it is being
handled do not count, and if the report fails it is listed again at the back with the visits
it still needed.
"""

from __future__ import annotations

import heapq
import math
from itertools import count

from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case

__all__ = ["PatrolLists", "visits_until_found"]

_NEVER = 1 << 62
_NONE: list[Case] = []
_COMPACT_AT = 64
"""Stale entries a community's heap may hold before it is compacted (when they are most)."""


def visits_until_found(u: float, p: float) -> int:
    """On which visit a case is spotted, each visit spotting it with probability ``p``.

    The number of independent trials until the first success is geometric: drawn once per case
    from its own uniform number ``u`` (inverse transform), it is exactly what a draw at every
    visit would give, without a draw per visit.
    """
    if p >= 1.0:
        return 1
    if p <= 0.0:
        return _NEVER
    return int(math.log1p(-u) / math.log1p(-p)) + 1


class PatrolLists:
    """The cases waiting for patrol, per community.

    Args:
        communities: How many communities the city has.
        detect: Probability that a visit spots an event.
        visit_detect: Probability that a visit spots a hidden need.
    """

    __slots__ = ("visits", "_heaps", "_stale", "_seq", "_detect", "_visit_detect")

    def __init__(self, communities: int, detect: float, visit_detect: float) -> None:
        self.visits = [0] * communities
        """Visits each community has had."""
        self._heaps: list[list[tuple[int, int, Case]]] = [[] for _ in range(communities)]
        self._stale = [0] * communities
        """Entries of paused cases still in each heap (they wait for their visit to pass)."""
        self._seq = count()
        self._detect = detect
        self._visit_detect = visit_detect

    def add(self, case: Case, hidden: bool) -> None:
        """List ``case`` in its community, at the back, with the visits it still needs."""
        left = case.patrol_left
        if left < 0:  # first listed: on which visit from now it will be spotted
            p = self._visit_detect if hidden else self._detect
            left = case.patrol_left = visits_until_found(case.u(Draw.DETECT), p)
        c = case.community
        at = case.patrol_at = self.visits[c] + left
        seq = case.patrol_seq = next(self._seq)
        heapq.heappush(self._heaps[c], (at, seq, case))

    def pause(self, case: Case) -> None:
        """``case`` was found otherwise: keep the visits it still needs, stop counting."""
        if case.patrol_seq >= 0:
            c = case.community
            case.patrol_left = case.patrol_at - self.visits[c]
            case.patrol_seq = -1
            stale = self._stale[c] = self._stale[c] + 1
            heap = self._heaps[c]
            if stale > _COMPACT_AT and 2 * stale > len(heap):
                # Most entries are of cases found otherwise (a rarely spotted kind waits many
                # visits): drop them, so that closed cases are not kept alive until then.
                heap[:] = [e for e in heap if e[2].patrol_seq == e[1]]
                heapq.heapify(heap)
                self._stale[c] = 0

    def visit(self, community: int) -> list[Case]:
        """Count a visit to ``community``; the cases it spots, in the order they were listed."""
        n = self.visits[community] = self.visits[community] + 1
        heap = self._heaps[community]
        if not heap or heap[0][0] > n:
            return _NONE
        spotted = []
        while heap and heap[0][0] <= n:
            _, seq, case = heapq.heappop(heap)
            if case.patrol_seq != seq:  # a paused case's entry, out of the heap at last
                self._stale[community] -= 1
            elif not case.found.triggered:  # type: ignore[union-attr]
                case.patrol_seq = -1
                spotted.append(case)
        return spotted

    def waiting(self, community: int) -> list[Case]:
        """The cases listed in ``community`` now, in the order they were listed."""
        live = [(seq, case) for _, seq, case in self._heaps[community] if case.patrol_seq == seq]
        return [case for _, case in sorted(live, key=lambda x: x[0])]
