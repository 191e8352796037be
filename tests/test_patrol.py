"""Patrol lists: a case is spotted on the k-th visit to its community while it is listed."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from gridtwin.sim import patrol as patrol_module
from gridtwin.sim.casedraws import OFFSETS, WIDTH, Draw
from gridtwin.sim.cases import Case
from gridtwin.sim.patrol import PatrolLists, visits_until_found

DETECT, VISIT_DETECT = 0.3, 0.15


@dataclass
class Found:
    """Stands in for a case's SimPy event: only whether it was triggered matters here."""

    triggered: bool = False


def _case(i: int, community: int) -> Case:
    case = Case(i, 0, community, -1, 0.0, [((i * 7919 + j * 104729) % 1000) / 1000 for j in
                                            range(WIDTH)], 3, 0)
    case.found = Found()  # type: ignore[assignment]
    return case


class Reference:
    """The plain design: a list per community, each listed case counting down per visit."""

    def __init__(self, communities: int) -> None:
        self.lists: list[list[Case]] = [[] for _ in range(communities)]
        self.left: dict[int, int] = {}
        self.listed: set[int] = set()

    def add(self, case: Case, hidden: bool) -> None:
        listed = self.lists[case.community]
        if case.id in self.listed:
            listed.remove(case)
        listed.append(case)
        self.listed.add(case.id)

    def visit(self, c: int, hidden: dict[int, bool]) -> list[int]:
        keep, spotted = [], []
        for case in self.lists[c]:
            if case.found.triggered:  # type: ignore[union-attr]
                self.listed.discard(case.id)
                continue
            left = self.left.get(case.id, -1)
            if left < 0:
                p = VISIT_DETECT if hidden[case.id] else DETECT
                left = visits_until_found(case._row[OFFSET_DETECT], p)  # type: ignore[index]
            left -= 1
            self.left[case.id] = left
            if left == 0:
                spotted.append(case.id)
                self.listed.discard(case.id)
            else:
                keep.append(case)
        self.lists[c] = keep
        return spotted


OFFSET_DETECT = OFFSETS[Draw.DETECT]

ops = st.lists(
    st.tuples(st.sampled_from(["add", "visit", "visit", "visit", "report", "fail"]),
              st.integers(0, 7), st.integers(0, 2)),
    max_size=120,
)


@settings(max_examples=400, deadline=None)
@given(ops, st.sampled_from([64, 0]))
def test_the_lists_spot_what_counting_down_every_listed_case_would(steps, compact_at) -> None:
    saved = patrol_module._COMPACT_AT
    patrol_module._COMPACT_AT = compact_at  # 0: compact whenever stale entries are most
    try:
        _check_against_reference(steps)
    finally:
        patrol_module._COMPACT_AT = saved


def _check_against_reference(steps) -> None:
    communities = 3
    lists = PatrolLists(communities, DETECT, VISIT_DETECT)
    ref = Reference(communities)
    # two twins of each case: one for the lists, one for the reference (their state differs)
    ours = {i: _case(i, i % communities) for i in range(8)}
    theirs = {i: _case(i, i % communities) for i in range(8)}
    hidden = {i: i % 2 == 0 for i in range(8)}
    added: set[int] = set()
    done: set[int] = set()
    for op, i, c in steps:
        if op == "visit":
            got = [case.id for case in lists.visit(c)]
            assert got == ref.visit(c, hidden)
            done.update(got)
        elif i in done:
            continue
        elif op == "add" and i not in added:  # a case is listed when it arises...
            added.add(i)
            lists.add(ours[i], hidden[i])
            ref.add(theirs[i], hidden[i])
        elif op == "report" and i in added and not ours[i].found.triggered:  # type: ignore[union-attr]
            ours[i].found.triggered = theirs[i].found.triggered = True  # type: ignore[union-attr]
            lists.pause(ours[i])
        elif op == "fail" and ours[i].found.triggered:  # type: ignore[union-attr]
            # ...and again when its report fails, with a new event to wait on
            ours[i].found, theirs[i].found = Found(), Found()  # type: ignore[assignment]
            lists.add(ours[i], hidden[i])
            ref.add(theirs[i], hidden[i])
    for c in range(communities):
        live = [case.id for case in ref.lists[c] if not case.found.triggered]  # type: ignore[union-attr]
        assert [case.id for case in lists.waiting(c)] == live


def test_a_case_is_spotted_on_the_visit_its_number_gives_and_not_twice() -> None:
    lists = PatrolLists(1, 1.0, 1.0)
    a, b = _case(1, 0), _case(2, 0)
    lists.add(a, hidden=False)
    lists.add(b, hidden=True)
    assert [c.id for c in lists.visit(0)] == [1, 2]  # p = 1: the first visit, in listing order
    assert lists.visit(0) == [] and lists.visits == [2]
    slow = PatrolLists(1, 0.0, 0.0)
    c = _case(3, 0)
    slow.add(c, hidden=False)
    assert all(slow.visit(0) == [] for _ in range(50))  # p = 0: never


def test_visits_while_a_case_is_reported_do_not_count_and_a_failed_report_keeps_the_rest() -> None:
    lists = PatrolLists(1, 0.05, 0.05)
    case = _case(5, 0)
    lists.add(case, hidden=False)
    k = case.patrol_left
    assert k >= 4  # (this case's number gives a long wait)
    assert lists.visit(0) == [] and lists.visit(0) == []  # two visits count
    case.found.triggered = True  # type: ignore[union-attr]  # a resident reports it
    lists.pause(case)
    for _ in range(k + 3):  # visits while the report is handled count for nothing
        assert lists.visit(0) == []
    case.found = Found()  # type: ignore[assignment]  # the report failed
    lists.add(case, hidden=False)
    for _ in range(k - 3):
        assert lists.visit(0) == []
    assert lists.visit(0) == [case]  # the k-th counted visit


def test_cases_found_otherwise_do_not_stay_in_a_rarely_spotting_heap() -> None:
    lists = PatrolLists(1, 0.0, 0.0)  # never spotted: without compaction, entries stay forever
    keep = _case(0, 0)
    lists.add(keep, hidden=False)
    for i in range(1, 1000):
        case = _case(i, 0)
        lists.add(case, hidden=False)
        case.found.triggered = True  # type: ignore[union-attr]
        lists.pause(case)
    assert len(lists._heaps[0]) <= 2 * 64 + 2
    assert lists.waiting(0) == [keep]
