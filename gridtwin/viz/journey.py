"""The Case journey page's data: the case to tell and its nine stages.

The stories, stages and sentences are :mod:`gridtwin.sim.trace`'s (``gridtwin trace``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow.compute as pc

from gridtwin.runner import RunResult
from gridtwin.sim.trace import JourneyStep, Story, case_steps, journey, pick_story

__all__ = ["case_journey", "case_row", "choose_case", "steps_frame"]


def case_row(result: RunResult, case_id: int) -> dict[str, Any] | None:
    """The case's row of the case table, or None if there is no such case."""
    rows = result.cases.filter(pc.equal(result.cases["case_id"], case_id)).to_pylist()
    return rows[0] if rows else None


def choose_case(result: RunResult, story: Story) -> int | None:
    """The case a trainer asked for by story (None when the run has none)."""
    return pick_story(result.cases, result.events, story)


def case_journey(result: RunResult, case_id: int) -> list[JourneyStep]:
    """The nine stages of a case.

    Raises:
        KeyError: If the run has no such case.
    """
    row = case_row(result, case_id)
    if row is None:
        raise KeyError(f"no case {case_id} (ids run from 0 to {result.cases.num_rows - 1})")
    return journey(row, case_steps(result.events, case_id))


def steps_frame(stages: list[JourneyStep], case_id: int, kpis: dict[str, Any]) -> pd.DataFrame:
    """The journey as a table with the run's provenance on every row."""
    return pd.DataFrame(
        [
            {
                "case_id": case_id,
                "stage": s.stage.value,
                "title": s.title,
                "when": s.when,
                "start_min": s.start,
                "end_min": s.end,
                "who": s.who,
                "what": s.sentence,
                "seed": kpis["seed"],
                "scenario_sha256": kpis["scenario_sha256"],
                "gridtwin_version": kpis["gridtwin_version"],
            }
            for s in stages
        ]
    )
