"""The event log: one flat record per stage of every case, and one row per case.

Records are buffered in typed columnar arrays during the run (a few bytes a record, no Python
object per record) and turned into pyarrow tables once, at the end. Case-level attributes
(resident, cell, type) live in the case table and are joined into the flat stage records on
export, so the hot path appends only what changes from stage to stage.
"""

from __future__ import annotations

import struct
from array import array
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
    """One row per case, written when the case closes (or at the end, while still open)."""

    __slots__ = (
        "id",
        "type_index",
        "community",
        "resident",
        "arise",
        "reported",
        "responded",
        "closed",
        "outcome",
        "channel",
        "department",
        "trips",
        "bounces",
        "misrouted",
        "rating",
        "satisfied",
        "complaint",
        "materials",
        "exempt",
        "on_spot",
    )

    def __init__(self) -> None:
        self.id = array("q")
        self.type_index = array("h")
        self.community = array("i")
        self.resident = array("q")
        self.arise = array("d")
        self.reported = array("d")
        self.responded = array("d")
        self.closed = array("d")
        self.outcome = array("b")
        self.channel = array("b")
        self.department = array("h")
        self.trips = array("h")
        self.bounces = array("h")
        self.misrouted = array("b")
        self.rating = array("b")
        self.satisfied = array("b")
        self.complaint = array("b")
        self.materials = array("h")
        self.exempt = array("h")
        self.on_spot = array("b")

    def __len__(self) -> int:
        return len(self.id)

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
        self.id.append(case.id)
        self.type_index.append(case.type_index)
        self.community.append(case.community)
        self.resident.append(case.resident)
        self.arise.append(case.arise)
        self.reported.append(case.reported)
        self.responded.append(case.responded)
        self.closed.append(closed)
        self.outcome.append(outcome)
        self.channel.append(case.channel)
        self.department.append(case.department)
        self.trips.append(case.trips)
        self.bounces.append(case.bounces)
        self.misrouted.append(case.misrouted)
        self.rating.append(rating)
        self.satisfied.append(satisfied)
        self.complaint.append(complaint)
        self.materials.append(case.materials)
        self.exempt.append(case.exempt)
        self.on_spot.append(case.on_spot)

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays, sorted by case id."""
        cols = {name: np.asarray(getattr(self, name)) for name in self.__slots__}
        order = np.argsort(cols["id"], kind="stable")
        return {name: col[order] for name, col in cols.items()}


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
