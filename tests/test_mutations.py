"""Mutated scenarios: every outcome is a clean run that conserves cases or a clean refusal.

Hypothesis takes a fully resolved scenario (tiny and street, every default written out, a few
hundred fields) and mutates it: drops a key, duplicates a list item, retypes a value, scales a
number by 10^±k, injects NaN or infinity, several at once. The loader and the run must then
either give a run whose cases all add up, or raise :class:`ScenarioError` with a field path:
never any other exception. ``GRIDTWIN_EXAMPLES`` sets how many scenarios are tried (the count
is printed).
"""

from __future__ import annotations

import copy
import math
import os
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gridtwin.runner import run
from gridtwin.scenarios.loader import ScenarioError, load_scenario, scenario_from_data

TINY = Path(__file__).parent / "data" / "tiny.yaml"
EXAMPLES = int(os.environ.get("GRIDTWIN_EXAMPLES", "25")) * 2
BASES = (str(TINY), "street")
TERMINAL = ("cases_resolved", "cases_closed_unresolved", "cases_abandoned", "cases_open_at_end")

Path_ = tuple[str | int, ...]


@cache
def _base(source: str) -> dict[str, Any]:
    data = load_scenario(source).model_dump(mode="json", by_alias=True)
    data["run"].update(horizon_days=3.0, warmup_days=0.0)  # short: the point is what gets through
    return data


def _paths(node: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every path into the data, containers and leaves alike."""
    out: list[Path_] = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def _parent(data: Any, path: Path_) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=8),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@st.composite
def mutated(draw: st.DrawFn, source: str) -> tuple[dict[str, Any], list[str]]:
    data = copy.deepcopy(_base(source))
    done: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        parent, key = _parent(data, path), path[-1]
        value = parent[key]
        kind = draw(st.sampled_from(["drop", "duplicate", "retype", "scale", "nonfinite"]))
        if kind == "drop":
            del parent[key]
        elif kind == "duplicate" and isinstance(parent, list):
            parent.insert(int(key), copy.deepcopy(value))
        elif kind == "scale" and isinstance(value, int | float) and not isinstance(value, bool):
            k = draw(st.integers(-12, 12))
            scaled = value * 10.0**k
            parent[key] = int(scaled) if isinstance(value, int) and abs(scaled) < 1e18 else scaled
        elif kind == "nonfinite":
            parent[key] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        else:
            kind = "retype"
            parent[key] = draw(JUNK)
        done.append(f"{kind} {'.'.join(map(str, path))}")
    return data, done


@pytest.fixture(autouse=True)
def _small_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    # Mutations can ask for 50 million residents: within the schema's bounds, but not what a
    # test should allocate. The size estimate refuses those runs, as it would on a small machine.
    monkeypatch.setenv("GRIDTWIN_MAX_MEMORY", "1GB")


def _try(case: tuple[dict[str, Any], list[str]], outcomes: Counter[str]) -> None:
    data, mutations = case
    try:
        scenario = scenario_from_data(data, label="mutated")
        result = run(scenario)
    except ScenarioError as err:
        outcomes["refused"] += 1
        assert err.problems, mutations
        for problem in err.problems:
            assert problem.path, (mutations, str(err))
            assert problem.message, (mutations, str(err))
        return
    outcomes["ran"] += 1
    k = result.kpis
    assert sum(k[key] for key in TERMINAL) == k["cases_total"], mutations
    assert result.cases.num_rows >= k["cases_total"]


def _mutated_by_hand(source: str, field: str, value: Any) -> tuple[dict[str, Any], list[str]]:
    data = copy.deepcopy(_base(source))
    data["run"][field] = value
    return data, [f"set run.{field} to {value}"]


@pytest.mark.parametrize("source", BASES, ids=["tiny", "street"])
def test_mutated_scenarios_run_cleanly_or_are_refused_with_a_path(source: str):
    outcomes: Counter[str] = Counter()

    # One mutation of each outcome always: about one random mutation in ten runs, so fifty of
    # them now and then gave no run at all and the check below failed by chance.
    @example(_mutated_by_hand(source, "horizon_days", 0.3))
    @example(_mutated_by_hand(source, "horizon_days", math.nan))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutated(source))
    def prop(case: tuple[dict[str, Any], list[str]]) -> None:
        _try(case, outcomes)

    prop()
    print(f"\nmutated scenarios: {sum(outcomes.values())} tried, {outcomes['ran']} ran and "
          f"conserved every case, {outcomes['refused']} refused with field paths")
    # Both outcomes must occur, or the property proves little.
    assert outcomes["ran"] > 0 and outcomes["refused"] > 0
