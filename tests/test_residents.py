"""Tests for gridtwin.agents.residents.ResidentRegistry: agents of residents with open cases."""

from __future__ import annotations

from collections import Counter

import mesa
from hypothesis import given, settings
from hypothesis import strategies as st

from gridtwin.agents.residents import ResidentAgent, ResidentRegistry
from gridtwin.model import GovernanceModel
from gridtwin.scenarios.schema import Scenario
from gridtwin.sim.runloop import advance


def _resident_agents(model: mesa.Model) -> list[ResidentAgent]:
    return [a for a in model.agents if isinstance(a, ResidentAgent)]


def test_one_agent_per_resident_counting_open_cases() -> None:
    model = mesa.Model(seed=1)
    reg = ResidentRegistry(model)
    a = reg.attach(7)
    assert reg.attach(7) is a
    assert (a.row, a.open_cases, len(reg)) == (7, 2, 1)
    b = reg.attach(3)
    assert b is not a and len(reg) == 2
    reg.release(a)
    assert (a.row, a.open_cases, len(reg)) == (7, 1, 2)
    reg.release(a)
    assert a.row == -1 and len(reg) == 1
    assert reg.attach(7).open_cases == 1  # the resident's next case gets an agent again


def test_agents_taken_back_serve_the_next_resident() -> None:
    model = mesa.Model(seed=1)
    reg = ResidentRegistry(model)
    a = reg.attach(1)
    reg.release(a)
    b = reg.attach(2)
    assert b is a and b.row == 2 and b.open_cases == 1
    assert len(_resident_agents(model)) == 1  # no new Mesa agent for the second resident


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 6)), max_size=80))
def test_registry_matches_a_count_of_open_cases(ops: list[tuple[bool, int]]) -> None:
    """Random opens and closes: the registry holds exactly the residents with open cases."""
    model = mesa.Model(seed=1)
    reg = ResidentRegistry(model)
    open_cases: dict[int, list[ResidentAgent]] = {}
    busiest = 0
    for opens, row in ops:
        held = open_cases.setdefault(row, [])
        if opens:
            held.append(reg.attach(row))
        elif held:
            reg.release(held.pop())
        busy = {r: h for r, h in open_cases.items() if h}
        busiest = max(busiest, len(busy))
        assert len(reg) == len(busy)
        for r, h in busy.items():
            assert all(agent is h[0] for agent in h)  # one agent per resident
            assert (h[0].row, h[0].open_cases) == (r, len(h))
    agents = _resident_agents(model)
    assert len(agents) == busiest  # Mesa holds as many as were ever busy at once
    assert sum(a.row >= 0 for a in agents) == len(reg)


def test_mid_run_the_busy_agents_are_those_of_open_cases(tiny: Scenario) -> None:
    model = GovernanceModel(tiny)
    advance(model.env, 3 * 24 * 60.0)
    held = Counter(c.agent for c in model.open.values() if c.agent is not None)
    assert held  # some residents wait on their cases
    agents = _resident_agents(model)
    busy = [a for a in agents if a.row >= 0]
    assert len(busy) == len(model.residents) == len(held)
    assert {a: a.open_cases for a in busy} == dict(held)
    assert all(c.agent.row == c.resident for c in model.open.values() if c.agent is not None)
    assert all(a.open_cases == 0 for a in agents if a.row < 0)
    assert len(agents) < model.cases_created  # agents were reused
