"""Following one case through the event log (the trainer's walk-through)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gridtwin.cli import cli
from gridtwin.runner import run
from gridtwin.sim.trace import case_steps, clock, pick_case

TINY = Path(__file__).parent / "data" / "tiny.yaml"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = run(TINY, seed=7, days=20)
    result.write(out)
    return result, out


def test_clock_reads_days_and_weekdays():
    assert clock(0) == "day 1 (Mon) 00:00"
    assert clock(5 * 1440 + 90) == "day 6 (Sat) 01:30"
    assert clock(7 * 1440) == "day 8 (Mon) 00:00"


def test_steps_are_in_time_order_and_end_with_the_outcome(written):
    result, _ = written
    cases = result.cases.to_pandas()
    closed = cases[cases["outcome"] == "resolved"]["case_id"].iloc[0]
    steps = case_steps(result.events, int(closed))
    assert [s.start for s in steps] == sorted(s.start for s in steps)
    assert steps[-1].stage == "resolved"
    assert steps[0].stage == "pending"


def test_pick_case_prefers_a_misrouted_resolved_case(written):
    result, _ = written
    picked = pick_case(result.cases, result.events)
    row = result.cases.to_pandas().set_index("case_id").loc[picked]
    if result.cases.to_pandas()["misrouted"].any():
        assert row["misrouted"]


def test_cli_trace_tells_the_case(written):
    _, out = written
    done = CliRunner().invoke(cli, ["trace", str(out), "--case", "0"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("case 0:")
    assert "outcome:" in done.output


def test_cli_trace_unknown_case_is_a_user_error(written):
    _, out = written
    done = CliRunner().invoke(cli, ["trace", str(out), "--case", "999999"])
    assert done.exit_code == 2
    assert "no such case" in done.output


def test_cli_trace_without_a_run_is_a_user_error(tmp_path):
    done = CliRunner().invoke(cli, ["trace", str(tmp_path)])
    assert done.exit_code == 2
    assert "is not a gridtwin run folder" in done.output
