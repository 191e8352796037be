"""The event log: one flat record per stage of every case, and one row per case.

Records are packed into byte buffers during the run (a few bytes a record, no Python
object per record) and turned into pyarrow tables once, at the end. Case-level attributes
(resident, cell, type) live in the case table and are joined into the flat stage records on
export, so the hot path appends only what changes from stage to stage.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pyarrow as pa

from gridtwin.sim.cases import Stage
from gridtwin.sim.writers import CaseWriter, StageWriter

__all__ = ["CaseTable", "EventLog", "dictionary_column", "events_table"]


_STRUCT_CODES = {("i", 1): "b", ("i", 2): "h", ("i", 4): "i", ("i", 8): "q", ("f", 8): "d"}
"""``struct`` codes of the numpy field types the packed tables use (standard sizes)."""


def packer(record: np.dtype) -> struct.Struct:
    """The ``struct`` that packs one row of ``record``, a little-endian dtype without padding."""
    codes = "".join(_STRUCT_CODES[record[n].kind, record[n].itemsize] for n in record.names or ())
    pack = struct.Struct("<" + codes)
    if pack.size != record.itemsize:
        raise ValueError(f"{record} has padding: it cannot be packed field by field")
    return pack


class _PackedRows:
    """Rows packed into one growing byte buffer in the layout of the subclass's ``RECORD``.

    One ``struct`` call and one buffer append per row (no Python object per row); the columns
    come back as views of the buffer, without a copy.
    """

    __slots__ = ("_buffer",)

    RECORD: ClassVar[np.dtype]
    """The row layout: little-endian fields, no padding."""
    _PACK: ClassVar[struct.Struct]
    """Packs one row in that layout (made from ``RECORD``)."""

    def __init_subclass__(cls) -> None:
        cls._PACK = packer(cls.RECORD)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def __len__(self) -> int:
        return len(self._buffer) // self._PACK.size

    def _rows(self) -> np.ndarray:
        """The rows as a structured array over the buffer (no copy)."""
        return np.frombuffer(self._buffer, dtype=self.RECORD)


class EventLog(_PackedRows):
    """Stage records: (case, stage, channel, department, start, end), times in minutes.

    Packed (:class:`_PackedRows`), 28 bytes a record.
    """

    __slots__ = ()

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

    def recorder(self) -> StageWriter:
        """A fast ``record(case_id, stage, channel, department, start, end)`` function.

        The engine writes millions of records: the writer packs a record and appends it to
        the buffer, compiled with the engine.
        """
        return StageWriter(self._buffer, self._PACK.pack)

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays (strided views of the buffer, no copy)."""
        table = self._rows()
        return {name: table[name] for name in self.RECORD.names or ()}


class CaseTable(_PackedRows):
    """One row per case, written when the case closes (or at the end, while still open).

    Packed (:class:`_PackedRows`) like the event log's records.
    """

    __slots__ = ("add",)

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

    def __init__(self) -> None:
        super().__init__()
        self.add = CaseWriter(self._buffer, self._PACK.pack)
        """``add(case, closed, outcome, rating, satisfied=-1, complaint=False)``: write the
        final state of a case (a :class:`~.writers.CaseWriter`, compiled with the engine)."""

    def ids(self) -> np.ndarray:
        """The case ids, in the order the cases were written (a copy)."""
        return self._rows()["id"].copy()

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays, sorted by case id."""
        table = self._rows()
        order = np.argsort(table["id"], kind="stable")
        return {name: table[name][order] for name in self.RECORD.names or ()}


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
