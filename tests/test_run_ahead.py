"""A case that runs ahead of the clock after its intake does exactly what it did when it waited.

``GovernanceModel.run_ahead`` lets a case's process go on at once after the last stage of an
intake, with its own clock at that stage's end, and the next wait absorbs it: one event
instead of two. These tests hold it to the run it replaces: the same case table, the same
stages of every case with the same times, fewer events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridtwin.model import GovernanceModel
from gridtwin.scenarios.loader import load_scenario
from gridtwin.sim.cases import Case
from gridtwin.sim.runloop import At, EngineEnvironment, Wait, advance

TINY = Path(__file__).parent / "data" / "tiny.yaml"
EVERY_LEVER = [
    "policies.levels.crossings=2",
    "channels.portal.assisted.enabled=true",
    "channels.portal.staff_apps.apps=3",
    "channels.window.district_centre={windows: 4}",
    "channels.window.expert_on_call=true",
    "policies.accountability.rework=true",
    "policies.accountability.pressure=0.3",
    "policies.relief.enabled=true",
    "channels.photo.uptake.enabled=true",
    "policies.data_sharing.mode=library",
    "policies.one_thing=true",
]


def _waiting(self: GovernanceModel, case: Case, delay: float) -> Wait:
    """The intake's last stage waited out, as before cases ran ahead."""
    return Wait(self.env, delay)


def _run(scenario: Any, seed: int, wait: bool, monkeypatch: pytest.MonkeyPatch) -> GovernanceModel:
    with monkeypatch.context() as patch:
        if wait:
            patch.setattr(GovernanceModel, "run_ahead", _waiting)
        model = GovernanceModel(scenario, seed=seed)
        model.run()
    return model


def _per_case(log: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The event log by case, then start, then the order a case wrote its stages in."""
    order = np.lexsort((np.arange(len(log["case"])), log["start"], log["case"]))
    return {name: column[order] for name, column in log.items()}


def _assert_same_run(a: GovernanceModel, b: GovernanceModel) -> None:
    ca, cb = a.cases.arrays(), b.cases.arrays()
    for name in ca:
        assert np.array_equal(ca[name], cb[name]), name
    ea, eb = _per_case(a.log.arrays()), _per_case(b.log.arrays())
    for name in ea:
        assert np.array_equal(ea[name], eb[name]), name
    assert a.trust_track == b.trust_track


@pytest.mark.parametrize(
    ("name", "days", "overrides"),
    [
        ("street", 21.37, EVERY_LEVER),
        ("district-2019", 4.6, ["policies.data_sharing.mode=pairs"]),
        (str(TINY), 30.0, []),
    ],
)
def test_running_ahead_is_the_run_that_waited_with_fewer_events(
    name: str, days: float, overrides: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = load_scenario(name, [f"run.horizon_days={days}", "run.warmup_days=1", *overrides])
    ahead = _run(scenario, 3, False, monkeypatch)
    waited = _run(scenario, 3, True, monkeypatch)
    _assert_same_run(ahead, waited)
    assert ahead.events_processed < waited.events_processed


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31), days=st.floats(0.3, 6.0))
def test_at_any_horizon_running_ahead_leaves_the_same_open_cases(seed: int, days: float) -> None:
    """A stage that would end at or after the horizon is waited out: nothing more is written."""
    scenario = load_scenario(TINY, [f"run.horizon_days={days}", "run.warmup_days=0"])
    with pytest.MonkeyPatch.context() as patch:
        ahead = _run(scenario, seed, False, patch)
        waited = _run(scenario, seed, True, patch)
    _assert_same_run(ahead, waited)


def test_at_ends_at_the_time_given_and_refuses_the_past() -> None:
    env = EngineEnvironment()
    seen: list[float] = []
    env.process(_clock_reader(env, seen))
    advance(env, 100.0)
    assert seen == [7.25, 7.25 + 1 / 3]
    with pytest.raises(ValueError, match="before now"):
        At(env, 99.0)


def _clock_reader(env: EngineEnvironment, seen: list[float]) -> Any:
    yield At(env, 7.25)
    seen.append(env.now)
    yield At(env, env.now + 1 / 3)
    seen.append(env.now)
