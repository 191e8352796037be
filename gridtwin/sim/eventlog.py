"""The event log: one flat record per stage of every case, and one row per case.

Records are buffered in typed columnar arrays during the run (a few bytes a record, no Python
object per record) and turned into pyarrow tables once, at the end. Case-level attributes
(resident, cell, type) live in the case table and are joined into the flat stage records on
export, so the hot path appends only what changes from stage to stage.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa

from gridtwin.sim.cases import Case, Outcome, Stage

__all__ = ["CaseTable", "EventLog", "dictionary_column", "events_table"]


class EventLog:
    """Stage records: (case, stage, channel, department, start, end), times in minutes.

    Each record is packed into one growing byte buffer in the layout of :data:`RECORD`
    (28 bytes, no padding): one ``struct`` call and one buffer append per record, and the
    columns come back as views of the buffer, without a copy.
    """

    __slots__ = ("_buffer",)

    RECORD = np.dtype(
        [
            ("case", "<i8"),
            ("stage", "i1"),
            ("channel", "i1"),
            ("department", "<i2"),
            ("start", "<f8"),
            ("end", "<f8"),
        ]
    )
    """The packed record layout; matches ``_PACK``."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def __len__(self) -> int:
        return len(self._buffer) // _PACK.size

    def recorder(self) -> Callable[[int, int, int, int, float, float], None]:
        """A fast ``record(case_id, stage, channel, department, start, end)`` function.

        The engine writes millions of records; the returned closure packs a record and appends
        it to the buffer with the look-ups bound once.
        """
        buffer = self._buffer
        pack = _PACK.pack

        def record(c: int, s: int, ch: int, d: int, a: float, b: float) -> None:
            buffer.extend(pack(c, s, ch, d, a, b))

        return record

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays (strided views of the buffer, no copy)."""
        table = np.frombuffer(self._buffer, dtype=self.RECORD)
        return {name: table[name] for name in self.RECORD.names or ()}


_PACK = struct.Struct("<qbbhdd")
"""One packed stage record (see :attr:`EventLog.RECORD`)."""
assert _PACK.size == EventLog.RECORD.itemsize


class CaseTable:
    """One row per case, written when the case closes (or at the end, while still open).

    Packed like the :class:`EventLog`: one ``struct`` call and one buffer append per case, in
    the layout of :data:`RECORD`.
    """

    __slots__ = ("_buffer",)

    RECORD = np.dtype(
        [
            ("id", "<i8"),
            ("type_index", "<i2"),
            ("community", "<i4"),
            ("resident", "<i8"),
            ("arise", "<f8"),
            ("reported", "<f8"),
            ("responded", "<f8"),
            ("closed", "<f8"),
            ("outcome", "i1"),
            ("channel", "i1"),
            ("department", "<i2"),
            ("trips", "<i2"),
            ("bounces", "<i2"),
            ("misrouted", "i1"),
            ("rating", "i1"),
            ("satisfied", "i1"),
            ("complaint", "i1"),
            ("materials", "<i2"),
            ("exempt", "<i2"),
            ("on_spot", "i1"),
        ]
    )
    """The packed row layout; matches ``_CASE``."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def __len__(self) -> int:
        return len(self._buffer) // _CASE.size

    def add(
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
            _CASE.pack(
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

    def ids(self) -> np.ndarray:
        """The case ids, in the order the cases were written (a copy)."""
        return np.frombuffer(self._buffer, dtype=self.RECORD)["id"].copy()

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays, sorted by case id."""
        table = np.frombuffer(self._buffer, dtype=self.RECORD)
        order = np.argsort(table["id"], kind="stable")
        return {name: table[name][order] for name in self.RECORD.names or ()}


_CASE = struct.Struct("<qhiqddddbbhhhbbbbhhb")
"""One packed case row (see :attr:`CaseTable.RECORD`)."""
assert _CASE.size == CaseTable.RECORD.itemsize


def dictionary_column(codes: np.ndarray, names: Sequence[str]) -> pa.DictionaryArray:
    """Codes (-1 = missing) into a dictionary-encoded string column."""
    codes = np.asarray(codes, dtype=np.int32)
    mask = codes < 0
    return pa.DictionaryArray.from_arrays(
        pa.array(np.where(mask, 0, codes), type=pa.int32(), mask=mask)
        if mask.any()
        else pa.array(codes, type=pa.int32()),
        pa.array(list(names) or [""], type=pa.string()),
    )


def events_table(
    log: EventLog,
    cases: dict[str, np.ndarray],
    type_ids: Sequence[str],
    community_ids: Sequence[str],
    channel_names: Sequence[str],
    department_ids: Sequence[str],
) -> pa.Table:
    """The flat event log: a row per stage, case attributes joined in, by case then time."""
    ev = log.arrays()
    order = np.lexsort((np.arange(len(ev["case"])), ev["start"], ev["case"]))
    case_ids = ev["case"][order]
    row = np.searchsorted(cases["id"], case_ids)
    stage_names = [s.name.lower() for s in Stage]
    return pa.table(
        {
            "case_id": pa.array(case_ids),
            "resident": pa.array(cases["resident"][row]),
            "cell": dictionary_column(cases["community"][row], community_ids),
            "type": dictionary_column(cases["type_index"][row], type_ids),
            "stage": dictionary_column(ev["stage"][order], stage_names),
            "channel": dictionary_column(ev["channel"][order], channel_names),
            "department": dictionary_column(ev["department"][order], department_ids),
            "start": pa.array(ev["start"][order]),
            "end": pa.array(ev["end"][order]),
        }
    )
