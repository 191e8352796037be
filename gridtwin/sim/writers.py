"""The writers of the packed tables' rows, compiled with the engine.

The engine writes a stage record several times a case and a case row once: each is one
``struct`` pack and one append to the table's buffer (see :mod:`gridtwin.sim.eventlog`, whose
tables hand these writers out). Compiled with the engine, a call and the reads of a case's
fields cost no interpreted frame.
"""

from __future__ import annotations

from collections.abc import Callable

from gridtwin.sim.cases import Case, Outcome

__all__ = ["CaseWriter", "StageWriter"]


class StageWriter:
    """``writer(case_id, stage, channel, department, start, end)`` appends a stage record.

    Args:
        buffer: The event log's buffer.
        pack: Packs one record in the log's layout.
    """

    def __init__(self, buffer: bytearray, pack: Callable[..., bytes]) -> None:
        self._buffer = buffer
        self._pack = pack

    def __call__(self, c: int, s: int, ch: int, d: int, a: float, b: float) -> None:
        """Append the record (case, stage, channel, department, start, end)."""
        self._buffer.extend(self._pack(c, s, ch, d, a, b))


class CaseWriter:
    """``writer(case, closed, outcome, rating, satisfied, complaint)`` appends a case row.

    A class of its own, not a subclass sharing :class:`StageWriter`'s two fields: a compiled
    ``__call__`` on a subclass of a compiled class crashed the interpreter.

    Args:
        buffer: The case table's buffer.
        pack: Packs one row in the table's layout.
    """

    def __init__(self, buffer: bytearray, pack: Callable[..., bytes]) -> None:
        self._buffer = buffer
        self._pack = pack

    def __call__(
        self,
        case: Case,
        closed: float,
        outcome: Outcome,
        rating: int,
        satisfied: int = -1,
        complaint: bool = False,
    ) -> None:
        """Write the final state of ``case``.

        ``rating`` is 1 a good rating, 0 a bad one, -1 none; ``satisfied`` the resident's
        verdict (1, 0, or -1 when no resident judged it); ``complaint`` whether they complained.
        """
        self._buffer.extend(
            self._pack(
                case.id,
                case.type_index,
                case.community,
                case.resident,
                case.arise,
                case.reported,
                case.responded,
                closed,
                outcome,
                case.channel,
                case.department,
                case.trips,
                case.bounces,
                case.misrouted,
                rating,
                satisfied,
                complaint,
                case.materials,
                case.exempt,
                case.on_spot,
            )
        )
