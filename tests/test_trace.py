"""Following one case through the event log (the trainer's walk-through)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from gridtwin.cli import cli
from gridtwin.runner import run
from gridtwin.scenarios.loader import load_scenario
from gridtwin.sim.trace import (
    STAGE_TERMS,
    JourneyStage,
    Story,
    case_steps,
    clock,
    journey,
    pick_case,
    pick_story,
)

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


# ------------------------------------------------------------------- stories and the journey
@pytest.fixture(scope="module")
def street_run():
    # without data sharing, applicants fetch materials in person: cases with three trips occur
    return run(load_scenario("street", ["policies.data_sharing.mode=none"]), seed=5, days=10)


@pytest.mark.parametrize(
    ("story", "fits"),
    [
        (Story.ELDERLY, lambda r: r["age_group"] == "elderly"),
        (Story.MISROUTED, lambda r: r["misrouted"]),
        (Story.THREE_TRIPS, lambda r: r["trips"] >= 3),
        (Story.WATER_METER, lambda r: r["kind"] == "hidden" and r["channel"] == "sensor"),
    ],
)
def test_pick_story_finds_a_case_that_fits(street_run, story, fits):
    found = pick_story(street_run.cases, street_run.events, story)
    assert found is not None, story
    row = street_run.cases.to_pandas().set_index("case_id").loc[found].to_dict()
    assert fits(row)
    assert not row["warmup"]


def test_pick_story_says_none_when_no_case_fits(written):
    result, _ = written
    none_hidden = result.cases.filter(pc.field("kind") != "hidden")
    assert pick_story(none_hidden, result.events, Story.WATER_METER) is None


def test_journey_has_nine_stages_in_order_with_sentences(street_run):
    case_id = pick_story(street_run.cases, street_run.events, Story.MISROUTED)
    row = street_run.cases.filter(pc.field("case_id") == case_id).to_pylist()[0]
    stages = journey(row, case_steps(street_run.events, case_id))
    assert [s.stage for s in stages] == list(JourneyStage)
    assert all(s.sentence.endswith(".") for s in stages)
    assert len({s.sentence for s in stages}) == 9
    routing = stages[list(JourneyStage).index(JourneyStage.ROUTING)]
    assert "退单" in routing.sentence
    assert routing.title == "Routing (派单)"
    assert stages[0].when.startswith("day ")
    assert all(STAGE_TERMS[s.stage][1] in s.title for s in stages)


def test_journey_of_a_hidden_need_found_by_a_water_meter(street_run):
    case_id = pick_story(street_run.cases, street_run.events, Story.WATER_METER)
    row = street_run.cases.filter(pc.field("case_id") == case_id).to_pylist()[0]
    stages = journey(row, case_steps(street_run.events, case_id))
    assert "water meter" in stages[1].sentence
    assert "No channel needed" in stages[2].sentence
    assert not stages[5].happened  # no materials for a hidden need
