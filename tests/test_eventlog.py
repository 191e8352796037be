"""Tests for gridtwin.sim.eventlog: packed stage records and case rows."""

from __future__ import annotations

import numpy as np
import pytest

from gridtwin.sim.cases import Case, Outcome, Stage
from gridtwin.sim.eventlog import CaseTable, EventLog, packer


def _case(case_id: int, **state: object) -> Case:
    case = Case(case_id, type_index=3, community=70_000, resident=2**40 + case_id, arise=1.5)
    for name, value in state.items():
        setattr(case, name, value)
    return case


def test_case_rows_come_back_sorted_by_id_with_every_field() -> None:
    table = CaseTable()
    table.add(_case(9, channel=2, department=300, trips=2, misrouted=True), 99.25, Outcome.RESOLVED,
              1, 1, False)
    table.add(_case(4, reported=2.0, responded=3.0, bounces=5, materials=4, exempt=3,
                    on_spot=True), -1.0, Outcome.OPEN, -1)
    table.add(_case(6), 50.0, Outcome.ABANDONED, 0, 0, True)
    assert len(table) == 3
    assert table.ids().tolist() == [9, 4, 6]
    cols = table.arrays()
    assert cols["id"].tolist() == [4, 6, 9]
    assert cols["resident"].tolist() == [2**40 + 4, 2**40 + 6, 2**40 + 9]
    assert cols["community"].tolist() == [70_000] * 3
    assert cols["closed"].tolist() == [-1.0, 50.0, 99.25]
    assert cols["outcome"].tolist() == [Outcome.OPEN, Outcome.ABANDONED, Outcome.RESOLVED]
    assert cols["reported"].tolist() == [2.0, -1.0, -1.0]
    assert cols["responded"].tolist() == [3.0, -1.0, -1.0]
    assert cols["channel"].tolist() == [-1, -1, 2]
    assert cols["department"].tolist() == [-1, -1, 300]
    assert cols["trips"].tolist() == [0, 0, 2]
    assert cols["bounces"].tolist() == [5, 0, 0]
    assert cols["misrouted"].tolist() == [0, 0, 1]
    assert cols["rating"].tolist() == [-1, 0, 1]
    assert cols["satisfied"].tolist() == [-1, 0, 1]
    assert cols["complaint"].tolist() == [0, 1, 0]
    assert cols["materials"].tolist() == [4, 0, 0]
    assert cols["exempt"].tolist() == [3, 0, 0]
    assert cols["on_spot"].tolist() == [1, 0, 0]
    assert cols["arise"].dtype == np.float64 and cols["id"].dtype == np.int64
    assert cols["outcome"].dtype == np.int8 and cols["community"].dtype == np.int32
    assert all(col.flags.c_contiguous for col in cols.values())


def test_an_empty_table_has_empty_columns() -> None:
    cols = CaseTable().arrays()
    assert set(cols) == set(CaseTable.RECORD.names or ())
    assert all(len(col) == 0 for col in cols.values())


def test_stage_records_come_back_as_written() -> None:
    log = EventLog()
    record = log.recorder()
    record(5, Stage.QUEUE, 1, -1, 0.5, 2.25)
    record(2**35, Stage.PROCESS, -1, 1200, 10.0, 70.0)
    cols = log.arrays()
    assert len(log) == 2
    assert cols["case"].tolist() == [5, 2**35]
    assert cols["stage"].tolist() == [Stage.QUEUE, Stage.PROCESS]
    assert cols["channel"].tolist() == [1, -1]
    assert cols["department"].tolist() == [-1, 1200]
    assert cols["start"].tolist() == [0.5, 10.0]
    assert cols["end"].tolist() == [2.25, 70.0]


def test_a_row_is_packed_in_the_record_layout() -> None:
    record = np.dtype([("a", "<i8"), ("b", "i1"), ("c", "<i2"), ("d", "<i4"), ("e", "<f8")])
    pack = packer(record)
    assert pack.format == "<qbhid" and pack.size == record.itemsize
    row = np.frombuffer(pack.pack(-7, 3, -300, 70_000, 2.5), dtype=record)[0]
    assert row.tolist() == (-7, 3, -300, 70_000, 2.5)
    assert (EventLog._PACK.size, CaseTable._PACK.size) == (28, CaseTable.RECORD.itemsize)


def test_a_padded_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="padding"):
        packer(np.dtype([("a", "i1"), ("b", "<f8")], align=True))
