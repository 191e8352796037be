"""Scenario parts for staffing, cost, vertical levels, accountability and surges.

Every part here is a lever that is off by default: a scenario that leaves them out runs
exactly as before. Units are in the field names as in :mod:`gridtwin.scenarios.schema`.

* :class:`Shift` — extra staff on listed weekdays and hours (a weekly roster, 排班);
* :class:`Staffing` — staff cost per hour by role and surge rosters switched on by an event
  (a typhoon, a set window) or by a backlog;
* :class:`Levels` — the vertical levels (city → district → street → community) a work order
  crosses, with re-entry and stalled hand-overs unless the platforms are integrated;
* :class:`Accountability` — rework after a bad review (5 working days) and the "three rates"
  pressure that closes cases on paper;
* :class:`Typhoon` — a burst of flood events concentrated in low-lying communities, with
  sensor alarms.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from gridtwin.scenarios.base import (
    MAX_DAYS,
    CalendarSpec,
    DaySpans,
    Identifier,
    Share,
    StrictModel,
    Weekdays,
)
from gridtwin.scenarios.calendar import WeeklyCalendar
from gridtwin.scenarios.distributions import Distribution, Exponential, Fixed

__all__ = [
    "ROLES",
    "Role",
    "Accountability",
    "Levels",
    "Shift",
    "Staffing",
    "SurgeRoster",
    "Typhoon",
]

Role = Literal["hotline", "consultation", "window", "department", "grid_worker", "rework", "surge"]
ROLES: tuple[str, ...] = get_args(Role)
"""Staff roles whose paid hours ``staff_hours_by_role`` reports."""

Staff = Annotated[int, Field(ge=0, le=10_000)]
Money = Annotated[float, Field(ge=0, le=100_000)]
"""A cost per staff hour (any currency)."""


class Shift(StrictModel):
    """Staff on duty on the listed weekdays in the listed daily spans (a weekly roster line).

    A roster is a list of shifts; staff on duty in an hour add up over the shifts that cover
    it. ``{name: monday_peak, days: [mon], hours: ["08:00-20:00"], staff: 3}`` puts three more
    seats on the hotline every Monday from 08:00 to 20:00.
    """

    name: str = ""
    """A label for reports (optional)."""
    days: Weekdays = ("mon", "tue", "wed", "thu", "fri")
    """Weekdays the shift works (mon ... sun)."""
    hours: DaySpans = ("09:00-17:00",)
    """Daily spans the shift is on duty, as HH:MM-HH:MM."""
    staff: int = Field(ge=1, le=10_000)
    """Staff (seats, clerks, handlers) the shift adds while on duty."""

    def calendar(self) -> WeeklyCalendar:
        """The shift's weekly calendar."""
        return WeeklyCalendar.from_days_hours(self.days, self.hours)


class SurgeRoster(StrictModel):
    """Extra staff switched on by an event or a backlog, for the duration of the surge.

    ``trigger``: ``typhoon`` follows ``services.typhoon`` (from its start to its end plus
    ``hold_h``); ``window`` the days ``start_day``–``end_day``; ``backlog`` switches on when
    the queue ahead of a new case at ``watch`` (``hotline`` or a department id) is longer than
    ``backlog_above_h`` working hours at a check (every ``check_every_min``), and stays on for
    ``hold_h`` hours after the last check that found it above. Surge staff finish the job they
    started when the surge ends.
    """

    name: str = "surge"
    """A label for reports."""
    trigger: Literal["typhoon", "window", "backlog"] = "typhoon"
    """What switches the roster on: the typhoon, a window of days, or a backlog."""
    start_day: float = Field(default=0, ge=0, le=MAX_DAYS)
    """``window`` trigger: the day the roster comes on."""
    end_day: float = Field(default=0, ge=0, le=MAX_DAYS)
    """``window`` trigger: the day it goes off (after ``start_day``)."""
    watch: Identifier = "hotline"
    """``backlog`` trigger: the queue watched, ``hotline`` or a department id."""
    backlog_above_h: float = Field(default=2.0, gt=0, le=10_000)
    """``backlog`` trigger: on when a new case would wait longer than this (working hours)."""
    check_every_min: float = Field(default=60.0, ge=1, le=10_080)
    """``backlog`` trigger: how often the queue is checked."""
    hold_h: float = Field(default=24.0, ge=0, le=MAX_DAYS * 24)
    """Hours the roster stays on after the typhoon ends or the backlog switched it on."""
    hotline: Staff = 0
    """Extra hotline seats."""
    departments: dict[Identifier, Staff] = Field(default_factory=dict)
    """Extra staff per department."""

    @model_validator(mode="after")
    def _window(self) -> SurgeRoster:
        if self.trigger == "window" and self.end_day <= self.start_day:
            raise ValueError(
                f"a window surge needs end_day ({self.end_day:g}) > start_day "
                f"({self.start_day:g})"
            )
        if self.hotline == 0 and not any(self.departments.values()):
            raise ValueError("adds no staff: give hotline seats or department staff")
        return self


class Staffing(StrictModel):
    """Staff cost by role and surge rosters (off by default)."""

    cost_per_hour: dict[Role, Money] = Field(default_factory=dict)
    """Cost of one paid staff hour per role (roles: hotline, consultation, window,
    department, grid_worker, rework, surge); a role not listed costs 0."""
    surge_rosters: tuple[SurgeRoster, ...] = Field(default=(), max_length=20)


class Levels(StrictModel):
    """The vertical levels a dispatched work order crosses (city → district → street → community).

    Without integration each crossing is a hand-over: the receiving level re-enters the order
    into its own platform (``handover_h`` working hours of ``calendar``), and with
    ``stall_probability`` the hand-over stalls until someone chases it (``chase_after_h``
    working hours later), then is re-entered. With ``integrated`` the order is entered once:
    no hand-overs and no duplicate entry into ``policies.platforms``.
    """

    crossings: int = Field(default=0, ge=0, le=5)
    """Levels crossed between intake and the handling department (0: off)."""
    integrated: bool = False
    """Platforms joined: an order is entered once (no hand-overs, no duplicate entry)."""
    handover_h: Distribution = Exponential(mean=2)
    """Working hours the receiving level takes to re-enter an order."""
    stall_probability: Share = 0.1
    """Chance a hand-over stalls until it is chased."""
    chase_after_h: float = Field(default=16.0, gt=0, le=10_000)
    """Working hours until a stalled hand-over is chased."""
    calendar: CalendarSpec = CalendarSpec()
    """Working hours of the levels' platform staff."""


class Accountability(StrictModel):
    """Rework after bad reviews, and the pressure of the "three rates" (off by default)."""

    rework: bool = False
    """A bad review (好差评: rated and dissatisfied) reopens a case a department handled for
    rework in the department's own rework queue, due within ``rework_limit_days`` working
    days (Monday to Friday)."""
    rework_staff: int = Field(default=1, ge=1, le=1_000)
    """Staff per department on the rework queue (on the department's calendar)."""
    rework_min: Distribution = Exponential(mean=90)
    """Staff minutes of one rework."""
    rework_limit_days: float = Field(default=5, gt=0, le=60)
    """Working days (Monday to Friday) within which rework is due after the review."""
    fix_probability: Share = 0.8
    """Probability that rework truly solves a problem that was not solved."""
    pressure: Share = 0.0
    """Pressure to meet the three rates: a department closes a work order on paper with
    probability ``pressure`` × how late it is (1 when the order is past its promised time
    or its queue is ``pressure_backlog_h`` working hours long, less in proportion)."""
    pressure_backlog_h: float = Field(default=8.0, gt=0, le=10_000)
    """Queue ahead (working hours) at which the pressure is felt in full."""
    paper_close_min: Distribution = Fixed(value=5)
    """Staff minutes to close an order on paper (the department's own staff)."""


class Typhoon(StrictModel):
    """A typhoon or flood: flood events in low-lying communities, sensor alarms."""

    start_day: float = Field(ge=0, le=MAX_DAYS)
    """The day the typhoon arrives."""
    end_day: float = Field(gt=0, le=MAX_DAYS)
    """The day it has passed (after ``start_day``)."""
    case_type: Identifier
    """The urban event type of the flood events (e.g. ``flooding``)."""
    events_per_day: float = Field(ge=0, le=100_000)
    """Extra events of that type per day of the typhoon, in all."""
    low_lying_share: Share = 0.2
    """Share of communities that lie low (the southernmost ones, as along a river), when
    neither ``low_lying`` nor the city's ``flood_risk`` properties say which."""
    low_lying: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] = ()
    """Community ids that lie low (replaces the rest). A GeoJSON city may instead flag its
    low-lying communities with the feature property ``flood_risk: true``."""
    concentration: Share = 0.9
    """Share of the flood events in low-lying communities (the rest anywhere)."""
    alarms: bool = True
    """Water-level sensors in low-lying communities raise an alarm for their flood events."""
    alarm_delay_min: Distribution = Exponential(mean=15)
    """From a flood event to its water-level alarm."""

    @model_validator(mode="after")
    def _ordered(self) -> Typhoon:
        if self.end_day <= self.start_day:
            raise ValueError(f"end_day ({self.end_day:g}) must be > start_day ({self.start_day:g})")
        return self
