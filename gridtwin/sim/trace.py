"""One case's story, step by step, from the event log: what a trainer walks a workshop through."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from gridtwin.sim.calendar import MINUTES_PER_DAY, WEEKDAYS

__all__ = ["Step", "case_steps", "clock", "pick_case"]

_SAYS = {
    "pending": "the need exists; nobody has reported or found it yet",
    "travel": "goes to the {channel}",
    "queue": "waits at the {channel}",
    "intake": "is served at the {channel}",
    "hung_up": "hangs up: waited longer than their patience",
    "intake_failed": "the {channel} submission fails",
    "retry_wait": "waits before trying again",
    "material_trip": "fetches a material in person from {department}",
    "material_fetch": "{department} fetches the shared materials itself",
    "dispatch": "the work order is dispatched",
    "bounce": "{department} is the wrong department: reviews it and sends it back (退单)",
    "process_wait": "waits for {department} staff",
    "process": "{department} processes the case",
    "on_spot": "settled on the spot",
    "whistle": "the street blows the whistle (吹哨报到): the responsible department is summoned",
    "resolved": "closed: resolved",
    "closed_unresolved": "closed without solving it",
    "abandoned": "the resident gives up",
}


_CHANNEL_WORDS = {
    "hotline": "12345 hotline",
    "consultation": "consultation line",
    "portal": "online portal",
    "window": "service-hall window",
    "kiosk": "self-service kiosk",
    "photo": "photo-report app",
    "patrol": "grid worker",
    "sensor": "sensor",
}


@dataclass(frozen=True, slots=True)
class Step:
    """One stage of a case."""

    stage: str
    start: float
    end: float
    channel: str | None
    department: str | None

    @property
    def says(self) -> str:
        """The stage in words."""
        return _SAYS.get(self.stage, self.stage).format(
            channel=_CHANNEL_WORDS.get(self.channel or "", "channel"),
            department=self.department or "the department",
        )


def clock(minutes: float) -> str:
    """Simulated time as ``day N (Mon) HH:MM`` (the run starts on a Monday at 00:00)."""
    day, rest = divmod(minutes, MINUTES_PER_DAY)
    weekday = WEEKDAYS[int(day) % 7].title()
    return f"day {int(day) + 1} ({weekday}) {int(rest // 60):02d}:{int(rest % 60):02d}"


def case_steps(events: pa.Table, case_id: int) -> list[Step]:
    """The stages of one case in time order (none for a case nobody has found yet)."""
    rows = events.filter(pc.equal(events["case_id"], case_id)).to_pylist()
    return [Step(r["stage"], r["start"], r["end"], r["channel"], r["department"]) for r in rows]


def pick_case(cases: pa.Table, events: pa.Table) -> int:
    """A case worth telling: a resolved one that was misrouted, else the one with most stages."""
    misrouted = cases.filter(pc.and_(cases["misrouted"], pc.equal(cases["outcome"], "resolved")))
    if misrouted.num_rows:
        return int(misrouted["case_id"][0].as_py())
    counts = events.group_by("case_id").aggregate([("stage", "count")])
    best = pc.index(counts["stage_count"], pc.max(counts["stage_count"]))
    return int(counts["case_id"][best.as_py()].as_py())
