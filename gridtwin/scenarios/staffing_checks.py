"""Cross checks of the staffing, accountability and surge levers (see :mod:`.checks`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gridtwin.scenarios.schema import Scenario, UrbanEvent

__all__ = ["check_staffing"]


def check_staffing(s: Scenario, add: Callable[[str, Any, str], None]) -> None:
    """Report, through ``add(path, value, message)``, every lever that names what is not there."""
    depts = sorted(s.departments)
    typhoon = s.services.typhoon
    if typhoon is not None:
        events = sorted(ct.id for ct in s.services.case_types if isinstance(ct, UrbanEvent))
        if typhoon.case_type not in events:
            add(
                "services.typhoon.case_type",
                typhoon.case_type,
                f"is not an urban event type; allowed: {', '.join(events) or '(none)'}",
            )
    window = s.channels.window
    if window.shifts and window.mode != "comprehensive":
        add("channels.window.shifts", len(window.shifts),
            "adds comprehensive windows: needs channels.window.mode comprehensive")
    for i, roster in enumerate(s.staffing.surge_rosters):
        base = f"staffing.surge_rosters[{i}]"
        for dept in roster.departments:
            if dept not in s.departments:
                add(f"{base}.departments.{dept}", dept,
                    f"is not a department; allowed: {', '.join(depts)}")
        if roster.trigger == "typhoon" and typhoon is None:
            add(f"{base}.trigger", roster.trigger, "needs services.typhoon")
        if roster.trigger == "backlog" and roster.watch not in ("hotline", *depts):
            add(f"{base}.watch", roster.watch,
                f"is not the hotline or a department; allowed: hotline, {', '.join(depts)}")
        if roster.hotline and not s.channels.hotline.enabled:
            add(f"{base}.hotline", roster.hotline, "adds seats to a hotline that is disabled")
