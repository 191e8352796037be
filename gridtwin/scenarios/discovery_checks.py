"""Cross-checks of the channel, discovery, relief and privacy levers.

Each rule ties a lever to another part of the scenario (a case type, a cell of the city, grid
workers to do the visits) and names the field at fault with what is allowed. Called by
:func:`gridtwin.scenarios.checks.cross_check`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridtwin.scenarios.base import CaseKind

if TYPE_CHECKING:
    from gridtwin.scenarios.checks import Problem
    from gridtwin.scenarios.schema import Scenario

__all__ = ["community_ids", "lever_problems", "sends_call_outs"]


def community_ids(s: Scenario) -> set[str] | None:
    """The ids of the city's communities, or None when they cannot be read here.

    A synthetic city names its communities ``C01``... (as :func:`gridtwin.sim.city.build_city`
    does); a GeoJSON city by its community features' ``id`` (an unreadable file is reported
    by the GeoJSON checks, not here).
    """
    syn = s.city.synthetic
    if syn is not None:
        width = max(2, len(str(syn.communities)))
        return {f"C{i + 1:0{width}d}" for i in range(syn.communities)}
    try:
        data = json.loads(Path(str(s.city.geojson)).read_text(encoding="utf-8"))
        return {
            str(f["properties"]["id"])
            for f in data["features"]
            if f["properties"].get("level") == "community"
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def sends_call_outs(s: Scenario) -> bool:
    """Whether a lever sends grid workers on call-outs (see :mod:`gridtwin.agents.tasks`)."""
    ch = s.channels
    assisted = ch.portal.assisted
    return (
        (assisted.enabled and assisted.provider == "grid_worker")
        or any(t.false_alarms_per_year > 0 for t in ch.sensor.by_type.values())
        or ch.patrol.home_visits.per_month > 0
        or s.policies.relief.enabled
    )


def lever_problems(s: Scenario) -> list[Problem]:
    """Every problem of the levers' ties to the rest of the scenario."""
    from gridtwin.scenarios.checks import Problem

    problems: list[Problem] = []

    def add(path: str, value: Any, message: str) -> None:
        problems.append(Problem(path=path, value=value, message=message))

    ch, pol = s.channels, s.policies
    kinds = {ct.id: ct.kind for ct in s.services.case_types}
    events = sorted(i for i, k in kinds.items() if k == CaseKind.EVENT.value)
    hidden = sorted(i for i, k in kinds.items() if k == CaseKind.HIDDEN.value)
    workers = ch.patrol.enabled and ch.patrol.workers_per_grid > 0
    no_workers = "needs grid workers (channels.patrol enabled, workers_per_grid > 0)"

    for type_id, st in ch.sensor.by_type.items():
        path = f"channels.sensor.by_type.{type_id}"
        if type_id not in events:
            add(path, type_id, f"is not an urban event type; allowed: {', '.join(events)}")
        if st.false_alarms_per_year > 0 and not workers:
            add(f"{path}.false_alarms_per_year", st.false_alarms_per_year, no_workers)
    assisted = ch.portal.assisted
    if assisted.enabled and assisted.provider == "grid_worker" and not workers:
        add("channels.portal.assisted.provider", assisted.provider, no_workers)
    if ch.patrol.home_visits.per_month > 0 and not workers:
        add("channels.patrol.home_visits.per_month", ch.patrol.home_visits.per_month, no_workers)
    relief = pol.relief
    if relief.enabled:
        if relief.case_type not in hidden:
            add(
                "policies.relief.case_type",
                relief.case_type,
                f"is not a hidden-need case type; allowed: {', '.join(hidden) or 'none'}",
            )
        if not workers:
            add("policies.relief.enabled", True, no_workers)
        if sum(ind.weight for ind in relief.indicators.values()) <= 0:
            add("policies.relief.indicators", "all weights 0", "needs a weight above 0")

    cells = ch.kiosk.site_cells
    if cells:
        known = community_ids(s)
        seen: set[str] = set()
        for j, cell in enumerate(cells):
            path = f"channels.kiosk.site_cells[{j}]"
            if cell in seen:
                add(path, cell, "is given twice; a site is one cell")
            seen.add(cell)
            if known is not None and cell not in known:
                sample = ", ".join(sorted(known)[:5])
                add(path, cell, f"is not a community of the city (ids like {sample}...)")
    return problems
