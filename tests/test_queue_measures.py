"""Measurements against queueing theory: a 24-hour hall and the hotline's queue series.

- A hall open 24 hours is an M/M/c queue when arrivals are Poisson (a Poisson stream shifted
  by fixed travel times and independent apply delays stays Poisson) and service is
  exponential: its recorded window waits must match Erlang C, and nobody is sent home (before
  the fix a customer whose turn came after midnight went home and the wait recorded was only
  the part after midnight).
- The hourly hotline ``queue`` series is the time-average number of callers on hold. By
  Little's law it equals the call rate times the mean time on hold, where callers who hang up
  were on hold for their patience: rebuilt from the event log, with abandonment, the two must
  agree (before the fix the series left out callers who later hung up).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from gridtwin.runner import RunResult, run
from gridtwin.scenarios.loader import load_scenario
from gridtwin.scenarios.schema import Scenario, cross_check

TINY = Path(__file__).parent / "data" / "tiny.yaml"
OTHER = ("hotline", "consultation", "portal", "kiosk", "patrol", "photo", "sensor")
WINDOWS, SERVICE_MIN, RHO = 2, 15.0, 0.75
LAM_PER_MIN = RHO * WINDOWS / SERVICE_MIN


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait Wq of an M/M/c queue (Erlang C), in the time unit of ``lam`` and ``mu``."""
    a = lam / mu
    tail = a**c / math.factorial(c) / (1.0 - a / c)
    p_wait = tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)
    return p_wait / (c * mu - lam)


def _events(result: RunResult) -> dict[str, np.ndarray]:
    ev = result.events
    return {
        "stage": np.asarray(ev.column("stage").cast(pa.string()).to_pylist(), dtype=object),
        "channel": np.asarray(ev.column("channel").cast(pa.string()).to_pylist(), dtype=object),
        "start": np.asarray(ev.column("start")),
        "end": np.asarray(ev.column("end")),
    }


def hall_24h(days: float) -> Scenario:
    """tiny.yaml reduced to one hall open 24 hours: M/M/2 at utilisation 0.75."""
    data = load_scenario(TINY).model_dump(mode="json", by_alias=True)
    residents = data["population"]["residents"]
    data["services"]["case_types"] = [{
        "id": "permit", "kind": "admin", "lead_department": "civil_affairs",
        "rate_per_resident_year": LAM_PER_MIN * 365 * 1440 / residents,
        "channels": ["window"], "profile": "flat",
    }]
    data["channels"]["window"].update(
        enabled=True, halls=1, windows_per_hall=WINDOWS, mode="comprehensive",
        service_min={"dist": "exponential", "mean": SERVICE_MIN},
        calendar={"always": True},
    )
    for name in OTHER:
        data["channels"][name]["enabled"] = False
    data["run"].update(horizon_days=days, warmup_days=1)
    scenario = Scenario.model_validate(data)
    assert cross_check(scenario) == []
    return scenario


def test_24h_hall_waits_match_mmc_and_nobody_is_sent_home() -> None:
    wq = erlang_c_wait(WINDOWS, LAM_PER_MIN, 1.0 / SERVICE_MIN)
    means = []
    for seed in range(1, 6):
        result = run(hall_24h(30), seed=seed)
        ev = _events(result)
        window = ev["channel"] == "window"
        sent_home = window & (ev["stage"] == "retry_wait")
        assert not sent_home.any(), "a 24-hour hall sent someone home"
        trips = np.asarray(result.cases.column("trips"))
        assert trips.max() <= 1
        q = window & (ev["stage"] == "queue")
        crosses = np.floor(ev["start"][q] / 1440) != np.floor(ev["end"][q] / 1440)
        assert crosses.any(), "no wait ran across midnight: the check would not see the fault"
        means.append(result.kpis["window_mean_wait_min"])
    x = np.array(means)
    half = stats.t.ppf(0.995, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    assert x.mean() - half <= wq <= x.mean() + half, (x.mean(), half, wq)


def test_hotline_queue_series_is_littles_law_with_abandonment() -> None:
    data = load_scenario(TINY).model_dump(mode="json", by_alias=True)
    data["channels"]["hotline"].update(
        seats=1,
        talk_time_s={"dist": "exponential", "mean": 150},
        patience_s={"dist": "exponential", "mean": 90},
    )
    question = data["services"]["case_types"][3]
    question.update(rate_per_resident_year=30.0, channels=["hotline"])  # rho about 0.7
    data["run"]["horizon_days"] = 7
    result = run(Scenario.model_validate(data), seed=3)
    assert result.kpis["hotline_abandon_rate"] > 0.05
    ev = _events(result)
    horizon = 7 * 1440.0
    on_hold = (ev["channel"] == "hotline") & np.isin(ev["stage"], ("queue", "hung_up"))
    calls = on_hold.sum()
    hold = np.clip(ev["end"][on_hold], 0, horizon) - np.clip(ev["start"][on_hold], 0, horizon)
    little = calls / horizon * hold.mean()  # L = lambda * W
    ts = result.timeseries
    series = np.asarray(ts.column("series").cast(pa.string()).to_pylist(), dtype=object)
    key = np.asarray(ts.column("key").cast(pa.string()).to_pylist(), dtype=object)
    value = np.asarray(ts.column("value"))[(series == "queue") & (key == "hotline")]
    # The series counts whole minutes ([floor(start), floor(end)) of each hold): rebuilt the
    # same way from the log it must agree exactly; against the continuous time average
    # (Little's law) it differs only by that rounding, about 1% here (seed-dependent).
    cut = np.clip(np.floor(ev["end"][on_hold]), 0, horizon) - np.clip(
        np.floor(ev["start"][on_hold]), 0, horizon)
    assert value.mean() == pytest.approx(cut.sum() / horizon, rel=1e-9)
    assert value.mean() == pytest.approx(little, rel=0.05)
    hung = (ev["channel"] == "hotline") & (ev["stage"] == "hung_up")
    answered_only = hold[~np.isin(np.flatnonzero(on_hold), np.flatnonzero(hung))].sum() / horizon
    assert value.mean() > answered_only * 1.05  # the callers who hung up are in the series
