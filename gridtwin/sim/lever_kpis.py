"""Outcome figures of the staffing, levels, accountability and surge levers.

They cover the cases that arose after the warm-up and the staff hours after it, like the
other figures (:mod:`gridtwin.sim.kpis`). Every key is always present; a lever that is off
gives zeros or None (nothing to divide).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gridtwin.scenarios.base import CaseKind, ChannelKind
from gridtwin.scenarios.calendar import MINUTES_PER_DAY, WEEKDAYS
from gridtwin.sim.cases import Outcome, Stage
from gridtwin.sim.kpis import rate, rounded
from gridtwin.vocab import CHANNEL_ORDER

if TYPE_CHECKING:
    from gridtwin.model import GovernanceModel

__all__ = ["LEVER_KPI_NAMES", "lever_kpis"]

LEVER_KPI_NAMES = (
    "hotline_mean_wait_by_weekday_s",
    "staff_hours",
    "staff_hours_by_role",
    "staff_cost",
    "cost_per_case",
    "cost_per_resolved_case",
    "surge_activations",
    "handovers",
    "stalled_handovers",
    "handover_delay_h",
    "true_resolution_rate",
    "paper_closed_cases",
    "reopened_cases",
    "rework_within_limit_share",
    "typhoon_cases",
    "typhoon_alarms",
    "typhoon_mean_time_to_close_h",
    "typhoon_backlog_clear_h",
)
"""The keys :func:`lever_kpis` adds to ``kpis.json``, in order."""


def lever_kpis(
    model: GovernanceModel,
    cases: dict[str, np.ndarray],
    events: dict[str, np.ndarray],
    resolved: int,
    hours: dict[str, float],
) -> dict[str, object]:
    """The levers' figures of a finished run.

    Args:
        model: The finished run.
        cases: Its case table as arrays.
        events: Its event log as arrays.
        resolved: Reported resolved cases after the warm-up (``cases_resolved``).
        hours: Paid staff hours per role after the warm-up (the model's rosters count them:
            :func:`gridtwin.agents.rosters.staff_hours_by_role`).
    """
    win = cases["arise"] >= model.warmup
    total = int(win.sum())
    acc = model.accountability
    rates = model.config.staffing.cost_per_hour
    cost = sum(h * rates.get(role, 0.0) for role, h in hours.items())  # type: ignore[call-overload]
    staff_hours = sum(hours.values())

    # hand-overs between levels, per case in the window
    in_win = np.zeros(len(cases["id"]) + 1, dtype=bool)
    in_win[:-1] = win
    ev_win = in_win[np.searchsorted(cases["id"], events["case"])]
    stage = events["stage"]
    sel = ev_win & np.isin(stage, (Stage.HANDOVER, Stage.HANDOVER_STALLED))
    per_case: dict[int, float] = {}
    for cid, dur in zip(
        events["case"][sel].tolist(), (events["end"][sel] - events["start"][sel]).tolist(),
        strict=True,
    ):
        per_case[cid] = per_case.get(cid, 0.0) + dur
    delays = np.array(list(per_case.values()), dtype=float) / 60.0

    # hotline waits per weekday of the call (a weekly roster's effect)
    hot = CHANNEL_ORDER.index(ChannelKind.HOTLINE)
    q_hot = ev_win & (stage == Stage.QUEUE) & (events["channel"] == hot)
    day = (events["start"][q_hot] // MINUTES_PER_DAY).astype(np.int64) % 7
    waits_s = (events["end"][q_hot] - events["start"][q_hot]) * 60.0
    by_weekday = {
        name: rounded(waits_s[day == d].mean()) if (day == d).any() else None
        for d, name in enumerate(WEEKDAYS)
    }

    # reported against true resolution
    out = cases["outcome"]
    ended = win & np.isin(out, (Outcome.RESOLVED, Outcome.CLOSED_UNRESOLVED, Outcome.ABANDONED))
    truly = win & (out == Outcome.RESOLVED)
    paper = reopened = 0
    within: float | None = None
    if acc is not None:
        ids = cases["id"]
        paper_mask = np.isin(ids, np.fromiter(acc.paper, dtype=np.int64, count=len(acc.paper)))
        fixed_ids = [c for c, end in acc.fixed.items() if end <= model.horizon]
        fixed_mask = np.isin(ids, np.asarray(fixed_ids, dtype=np.int64))
        truly = (truly & ~paper_mask) | (win & ended & fixed_mask)
        paper = int((win & paper_mask).sum())
        arise = dict(zip(ids.tolist(), cases["arise"].tolist(), strict=True))
        mine = [r for r in acc.reworks if arise[r[0]] >= model.warmup]
        reopened = len(mine)
        within = rate(sum(1 for r in mine if r[2] <= r[3]), len(mine))

    # the typhoon
    typhoon = model.typhoon
    t_cases = t_alarms = 0
    t_close: float | None = None
    t_clear: float | None = None
    if typhoon is not None:
        kinds = np.array([t.kind is CaseKind.EVENT for t in model.types])[cases["type_index"]]
        during = (cases["arise"] >= typhoon.start) & (cases["arise"] < typhoon.end)
        t_cases = int(during.sum())
        t_alarms = typhoon.alarms
        ev = during & kinds & (cases["reported"] >= 0)
        done = ev & (out != Outcome.OPEN) & (out != Outcome.ABANDONED)
        if done.any():
            t_close = rounded(np.mean(cases["closed"][done] - cases["reported"][done]) / 60.0)
        closed_at = np.where(out[ev] == Outcome.OPEN, model.horizon, cases["closed"][ev])
        if len(closed_at):
            t_clear = rounded(max(0.0, float(np.quantile(closed_at, 0.95)) - typhoon.end) / 60.0)

    return {
        "hotline_mean_wait_by_weekday_s": by_weekday,
        "staff_hours": rounded(staff_hours),
        "staff_hours_by_role": hours,
        "staff_cost": rounded(cost),
        "cost_per_case": rounded(cost / total) if total else None,
        "cost_per_resolved_case": rounded(cost / resolved) if resolved else None,
        "surge_activations": sum(model.surges.activations) if model.surges else 0,
        "handovers": int((ev_win & (stage == Stage.HANDOVER)).sum()),
        "stalled_handovers": int((ev_win & (stage == Stage.HANDOVER_STALLED)).sum()),
        "handover_delay_h": rounded(delays.mean()) if len(delays) else None,
        "true_resolution_rate": rate(int(truly.sum()), int(ended.sum())),
        "paper_closed_cases": paper,
        "reopened_cases": reopened,
        "rework_within_limit_share": within,
        "typhoon_cases": t_cases,
        "typhoon_alarms": t_alarms,
        "typhoon_mean_time_to_close_h": t_close,
        "typhoon_backlog_clear_h": t_clear,
    }
