"""One case's story, step by step, from the event log: what a trainer walks a workshop through.

:func:`case_steps` lists the event log's stages of a case (what ``gridtwin trace`` prints);
:func:`journey` folds them into the nine stages of the life cycle a trainer steps through
(need, discovery, channel, queue, routing, materials, processing, closure, rating), each with
its clock, who handled it and one plain sentence, in English with the Chinese term.
:func:`pick_story` finds a case worth telling ("an elderly resident's case", "a misrouted
case", ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from gridtwin.scenarios.calendar import MINUTES_PER_DAY, WEEKDAYS

__all__ = [
    "STAGE_TERMS",
    "STORY_LABELS",
    "JourneyStage",
    "JourneyStep",
    "Step",
    "Story",
    "case_steps",
    "clock",
    "journey",
    "pick_case",
    "pick_story",
    "story_cases",
]

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


# ---------------------------------------------------------------------------- stories to tell
class Story(StrEnum):
    """Kinds of case a trainer can ask for."""

    TYPICAL = "typical"
    """A misrouted resolved case, else the one with most stages (:func:`pick_case`)."""
    ELDERLY = "elderly"
    MISROUTED = "misrouted"
    THREE_TRIPS = "three_trips"
    WATER_METER = "water_meter"


STORY_LABELS = {
    Story.TYPICAL: "a case worth telling (misrouted, else the longest)",
    Story.ELDERLY: "an elderly resident's case",
    Story.MISROUTED: "a misrouted case (退单)",
    Story.THREE_TRIPS: "a case that needed three trips (跑腿)",
    Story.WATER_METER: "a hidden need found by a water meter or sensor (水管家)",
}
"""What each story is called on the viewer's picker."""


def story_cases(cases: pa.Table, story: Story) -> list[int]:
    """Ids of the cases that fit ``story``, the best first (closed ones before open ones).

    Cases that arose in the warm-up are left out when others fit.
    """
    frame = cases.select(
        ["case_id", "kind", "age_group", "channel", "outcome", "trips", "misrouted", "warmup"]
    ).to_pylist()
    if story is Story.ELDERLY:
        fits = [
            r
            for r in frame
            if r["age_group"] == "elderly" and r["channel"] not in (None, "patrol", "sensor")
        ]
    elif story is Story.MISROUTED:
        fits = [r for r in frame if r["misrouted"]]
    elif story is Story.THREE_TRIPS:
        fits = [r for r in frame if (r["trips"] or 0) >= 3]
    elif story is Story.WATER_METER:
        fits = [r for r in frame if r["kind"] == "hidden" and r["channel"] == "sensor"]
    else:
        fits = frame

    def rank(r: dict[str, Any]) -> tuple[int, int, int, int]:
        trips_off = abs((r["trips"] or 0) - 3) if story is Story.THREE_TRIPS else 0
        return (bool(r["warmup"]), r["outcome"] == "open", trips_off, r["case_id"])

    return [int(r["case_id"]) for r in sorted(fits, key=rank)]


def pick_story(cases: pa.Table, events: pa.Table, story: Story) -> int | None:
    """One case that tells ``story``, or None when the run has none."""
    if story is Story.TYPICAL:
        return pick_case(cases, events) if cases.num_rows else None
    found = story_cases(cases, story)
    return found[0] if found else None


# ---------------------------------------------------------------------- the nine-stage journey
class JourneyStage(StrEnum):
    """The stages of the life cycle a trainer walks through, in order."""

    NEED = "need"
    DISCOVERY = "discovery"
    CHANNEL = "channel"
    QUEUE = "queue"
    ROUTING = "routing"
    MATERIALS = "materials"
    PROCESSING = "processing"
    CLOSURE = "closure"
    RATING = "rating"


STAGE_TERMS = {
    JourneyStage.NEED: ("Need", "诉求"),
    JourneyStage.DISCOVERY: ("Discovery", "发现"),
    JourneyStage.CHANNEL: ("Channel", "渠道"),
    JourneyStage.QUEUE: ("Queue", "排队"),
    JourneyStage.ROUTING: ("Routing", "派单"),
    JourneyStage.MATERIALS: ("Materials", "材料"),
    JourneyStage.PROCESSING: ("Processing", "办理"),
    JourneyStage.CLOSURE: ("Closure", "办结"),
    JourneyStage.RATING: ("Rating", "好差评"),
}
"""English and Chinese name of each stage."""

_STEP_STAGE = {
    "pending": JourneyStage.DISCOVERY,
    "travel": JourneyStage.CHANNEL,
    "intake": JourneyStage.CHANNEL,
    "hung_up": JourneyStage.CHANNEL,
    "intake_failed": JourneyStage.CHANNEL,
    "retry_wait": JourneyStage.CHANNEL,
    "queue": JourneyStage.QUEUE,
    "dispatch": JourneyStage.ROUTING,
    "bounce": JourneyStage.ROUTING,
    "whistle": JourneyStage.ROUTING,
    "handover": JourneyStage.ROUTING,
    "handover_stalled": JourneyStage.ROUTING,
    "material_trip": JourneyStage.MATERIALS,
    "material_fetch": JourneyStage.MATERIALS,
    "process_wait": JourneyStage.PROCESSING,
    "process": JourneyStage.PROCESSING,
    "on_spot": JourneyStage.PROCESSING,
    "resolved": JourneyStage.CLOSURE,
    "closed_unresolved": JourneyStage.CLOSURE,
    "abandoned": JourneyStage.CLOSURE,
}


@dataclass(frozen=True, slots=True)
class JourneyStep:
    """One of the nine stages of a case: when, who, and what happened, in one sentence."""

    stage: JourneyStage
    start: float | None
    """Minutes from the start of the run (None when the stage did not happen)."""
    end: float | None
    who: str
    """Who acted at this stage (the resident, a grid worker, a department...)."""
    sentence: str
    """What happened, in plain words a trainer can read to a room."""
    steps: tuple[Step, ...]
    """The event-log stages folded into this one."""

    @property
    def title(self) -> str:
        """The stage's name in English and Chinese, e.g. ``Routing (派单)``."""
        en, zh = STAGE_TERMS[self.stage]
        return f"{en} ({zh})"

    @property
    def happened(self) -> bool:
        """Whether the case went through this stage."""
        return self.start is not None

    @property
    def when(self) -> str:
        """The stage's clock: ``day 2 (Tue) 09:10`` or a span of two clocks."""
        if self.start is None:
            return ""
        if self.end is None or self.end <= self.start:
            return clock(self.start)
        return f"{clock(self.start)} → {clock(self.end)}"


def _duration(minutes: float) -> str:
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / MINUTES_PER_DAY:.1f} days"


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _words(ident: str | None) -> str:
    return (ident or "").replace("_", " ")


def _need(case: Mapping[str, Any]) -> tuple[str, str]:
    kind, what = case.get("kind"), _words(case.get("type"))
    age = case.get("age_group")
    someone = f"{'an' if str(age)[:1] in 'aeiou' else 'a'} {age} resident" if age else "a resident"
    where = f"in community {case.get('cell')}"
    if kind == "event":
        return "the community", f"An urban problem occurs {where}: {what}."
    if kind == "hidden":
        return someone, (
            f"A hidden need arises {where}: {what}, for {someone} living alone. "
            "Nobody voices it: it has to be found."
        )
    if kind == "inquiry":
        return someone, f"{someone.capitalize()} {where} has a question: {what}."
    return someone, f"{someone.capitalize()} {where} needs a government service: {what}."


def _discovery(case: Mapping[str, Any], steps: Sequence[Step]) -> tuple[str, str]:
    reported, arise = case.get("reported"), float(case.get("arise") or 0.0)
    channel = case.get("channel")
    if reported is None:
        return "nobody yet", "Nobody has reported or found it by the end of the run."
    after = _duration(float(reported) - arise)
    if channel == "patrol":
        return "a grid worker (网格员)", f"A grid worker on patrol finds it {after} after it arose."
    if channel == "sensor":
        if case.get("kind") == "hidden":
            return "a smart water meter (水管家)", (
                f"A smart water meter flags unusual water use, {after} after the need arose; "
                "the alarm goes to the operations centre."
            )
        return "a sensor", f"A sensor raises an alarm, {after} after it happened."
    verb = "applies" if case.get("kind") == "admin" else "reports it"
    if not steps or steps[0].stage != "pending" or float(reported) - arise < 1:
        return "the resident", f"The resident {verb} straight away."
    return "the resident", f"The resident {verb} {after} after the need arose."


def _channel(case: Mapping[str, Any], steps: Sequence[Step]) -> tuple[str, str]:
    if not steps:
        finder = "grid worker" if case.get("channel") == "patrol" else "sensor"
        return _CHANNEL_WORDS.get(str(case.get("channel")), "nobody"), (
            f"No channel needed: the {finder} reports it to the operations centre directly."
            if case.get("channel") in ("patrol", "sensor")
            else "The case never reached a channel."
        )
    used = list(dict.fromkeys(_CHANNEL_WORDS.get(s.channel or "", "a channel") for s in steps))
    parts = [f"They use the {' then the '.join(used)}"]
    hung = sum(s.stage == "hung_up" for s in steps)
    failed = sum(s.stage == "intake_failed" for s in steps)
    travel = sum(s.stage == "travel" for s in steps)
    if hung:
        parts.append(f"hang up {_times(hung)} after waiting too long")
    if failed:
        parts.append(f"the online submission fails {_times(failed)}")
    if travel:
        parts.append(f"and go there in person {_times(travel)} (a trip, 跑腿)")
    return used[-1], ", ".join(parts) + "."


def _queue(steps: Sequence[Step]) -> tuple[str, str]:
    if not steps:
        return "", "No queue at the channel."
    wait = sum(s.end - s.start for s in steps)
    where = _CHANNEL_WORDS.get(steps[0].channel or "", "channel")
    return where, f"They wait {_duration(wait)} in the queue at the {where}."


def _routing(steps: Sequence[Step]) -> tuple[str, str]:
    if not steps:
        return "", "No work order: it was settled at intake or on the spot."
    bounces = [s for s in steps if s.stage == "bounce"]
    parts = ["The operations centre (城运中心) dispatches a work order"]
    for b in bounces:
        parts.append(f"{_words(b.department)} is the wrong department and sends it back (退单)")
    if any(s.stage == "whistle" for s in steps):
        parts.append("the street blows the whistle (吹哨报到) and summons the department")
    who = "operations centre" + (
        "; " + ", ".join(_words(b.department) for b in bounces) if bounces else ""
    )
    return who, "; ".join(parts) + "."


def _materials(steps: Sequence[Step]) -> tuple[str, str]:
    if not steps:
        return "", "No materials to gather."
    trips = [s for s in steps if s.stage == "material_trip"]
    fetched = [s for s in steps if s.stage == "material_fetch"]
    parts = []
    if trips:
        issuers = ", ".join(dict.fromkeys(_words(s.department) for s in trips))
        parts.append(f"The resident fetches {len(trips)} material(s) in person from {issuers}")
    if fetched:
        parts.append("the department fetches the shared materials itself (数据共享)")
    who = ", ".join(dict.fromkeys(_words(s.department) for s in steps if s.department))
    text = "; ".join(parts)
    return who, text[:1].upper() + text[1:] + "."


def _processing(steps: Sequence[Step]) -> tuple[str, str]:
    if not steps:
        return "", "Nobody processed it."
    if all(s.stage == "on_spot" for s in steps):
        return _words(steps[0].department) or "the grid worker", "Settled on the spot."
    depts = list(dict.fromkeys(_words(s.department) for s in steps if s.department))
    wait = sum(s.end - s.start for s in steps if s.stage == "process_wait")
    work = sum(s.end - s.start for s in steps if s.stage == "process")
    who = ", ".join(depts) or "the department"
    text = f"{who.capitalize()} staff handle it"
    if wait >= 1:
        text += f" after waiting {_duration(wait)} for a free member of staff"
    return who, f"{text}; the work takes {_duration(work)} (work pauses outside office hours)."


def _closure(case: Mapping[str, Any], steps: Sequence[Step]) -> tuple[str, str]:
    outcome, closed, reported = case.get("outcome"), case.get("closed"), case.get("reported")
    if outcome == "open" or closed is None:
        return "", "Still open at the end of the run."
    since = float(closed) - float(reported if reported is not None else case.get("arise") or 0)
    words = {
        "resolved": "Closed: the problem is solved",
        "closed_unresolved": "Closed without solving it",
        "abandoned": "The resident gives up",
    }.get(str(outcome), str(outcome))
    who = _words(case.get("department")) or ""
    return who, f"{words}, {_duration(since)} after it was reported."


def _rating(case: Mapping[str, Any]) -> tuple[str, str]:
    rating = case.get("rating")
    if rating is None:
        return "", "The resident does not rate the service."
    if rating:
        return "the resident", "The resident rates the service: satisfied (好评)."
    return "the resident", "The resident rates the service: not satisfied (差评)."


def journey(case: Mapping[str, Any], steps: Sequence[Step]) -> list[JourneyStep]:
    """The case's nine life-cycle stages, in order, each with a sentence to read out.

    Args:
        case: The case's row of the case table (``cases.parquet``) as a mapping.
        steps: Its event-log stages (:func:`case_steps`).

    Returns:
        Nine :class:`JourneyStep`, one per :class:`JourneyStage`; a stage the case did not go
        through has no times and a sentence that says so.
    """
    by_stage: dict[JourneyStage, list[Step]] = {s: [] for s in JourneyStage}
    for step in steps:
        by_stage[_STEP_STAGE.get(step.stage, JourneyStage.PROCESSING)].append(step)
    arise = float(case.get("arise") or 0.0)
    out = []
    for stage in JourneyStage:
        own = by_stage[stage]
        start = min((s.start for s in own), default=None)
        end = max((s.end for s in own), default=None)
        if stage is JourneyStage.NEED:
            who, text = _need(case)
            start, end = arise, None
        elif stage is JourneyStage.DISCOVERY:
            who, text = _discovery(case, steps)
            reported = case.get("reported")
            start, end = (arise, float(reported)) if reported is not None else (None, None)
        elif stage is JourneyStage.CHANNEL:
            who, text = _channel(case, own)
        elif stage is JourneyStage.QUEUE:
            who, text = _queue(own)
        elif stage is JourneyStage.ROUTING:
            who, text = _routing(own)
        elif stage is JourneyStage.MATERIALS:
            who, text = _materials(own)
        elif stage is JourneyStage.PROCESSING:
            who, text = _processing(own)
        elif stage is JourneyStage.CLOSURE:
            who, text = _closure(case, own)
            closed = case.get("closed")
            start = end = float(closed) if closed is not None else None
        else:
            who, text = _rating(case)
            closed = case.get("closed")
            start = end = (
                float(closed) if closed is not None and case.get("rating") is not None else None
            )
        out.append(JourneyStep(stage, start, end, who, text, tuple(own)))
    return out
