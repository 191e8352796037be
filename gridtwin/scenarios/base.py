"""The scenario format's building blocks: the strict base model, shares, calendars.

The kinds (channels, age groups, case kinds...) are the project's shared vocabulary
(:mod:`gridtwin.vocab`), re-exported here as the format's words.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from gridtwin.scenarios.calendar import WEEKDAYS, WeeklyCalendar, parse_span
from gridtwin.vocab import (
    RESIDENT_CHANNELS,
    AgeGroup,
    CaseKind,
    ChannelKind,
    DiscoveryMode,
    SharingMode,
)

__all__ = [
    "RESIDENT_CHANNELS",
    "AgeGroup",
    "MAX_DAYS",
    "Beta",
    "CalendarSpec",
    "DaySpans",
    "CaseKind",
    "Coefficient",
    "ChannelKind",
    "DiscoveryMode",
    "Identifier",
    "Share",
    "SharingMode",
    "StrictModel",
    "Weekdays",
]

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Coefficient = Annotated[float, Field(ge=-50.0, le=50.0)]
"""A logit coefficient: exp() of sums of these stays finite."""
MAX_DAYS = 3660.0
"""Longest horizon, and bound of every day count (ten years)."""
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


def _mentions(annotation: Any, types: tuple[type, ...]) -> bool:
    """Whether a type annotation is, or contains, one of ``types``."""
    if annotation in types:
        return True
    return any(_mentions(a, types) for a in get_args(annotation))


@cache
def _number_fields(model: type[BaseModel]) -> frozenset[str]:
    """Keys (names and aliases) of the fields that take a number and never true/false."""
    keys = set()
    for name, field in model.model_fields.items():
        ann = field.annotation
        if _mentions(ann, (int, float)) and not _mentions(ann, (bool,)):
            keys.update({name, field.alias or name})
    return frozenset(keys)


class StrictModel(BaseModel):
    """Base for every scenario part: unknown keys are errors, values are immutable.

    Numbers are finite, and ``true``/``false`` is never read as a number (YAML's ``streets:
    true`` would otherwise be one street): it is refused at the field's own path.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_default=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
    )
    """``use_attribute_docstrings``: a field's docstring is its description (the lever
    catalogue, :mod:`gridtwin.scenarios.catalogue`, prints it)."""

    @model_validator(mode="before")
    @classmethod
    def _no_bool_as_number(cls, data: Any) -> Any:
        if isinstance(data, dict):
            numbers = _number_fields(cls)
            if any(isinstance(v, bool) and k in numbers for k, v in data.items()):
                return {
                    k: str(v).lower() if isinstance(v, bool) and k in numbers else v
                    for k, v in data.items()
                }
        return data


class Beta(StrictModel):
    """A Beta(a, b) distribution on [0, 1] (literacy, trust)."""

    a: float = Field(gt=0, le=10_000)
    """First shape parameter (the mean is a / (a + b))."""
    b: float = Field(gt=0, le=10_000)
    """Second shape parameter."""

    @property
    def mean(self) -> float:
        """Analytic mean ``a / (a + b)``."""
        return self.a / (self.a + self.b)


def _weekdays(v: tuple[str, ...]) -> tuple[str, ...]:
    bad = [d for d in v if d not in WEEKDAYS]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a weekday; allowed: {', '.join(WEEKDAYS)}")
    if not v:
        raise ValueError("needs at least one day")
    return v


def _day_spans(v: tuple[str, ...]) -> tuple[str, ...]:
    if not v:
        raise ValueError("needs at least one span HH:MM-HH:MM")
    for span in v:
        parse_span(span)
    return v


Weekdays = Annotated[tuple[str, ...], AfterValidator(_weekdays)]
"""Weekday names (mon ... sun), at least one."""
DaySpans = Annotated[tuple[str, ...], AfterValidator(_day_spans)]
"""Daily spans ``HH:MM-HH:MM``, at least one."""


class CalendarSpec(StrictModel):
    """Working hours: the listed spans on the listed weekdays, or around the clock."""

    always: bool = False
    """Open 24 hours a day, 7 days a week (the other fields are then ignored)."""
    days: Weekdays = ("mon", "tue", "wed", "thu", "fri")
    """Weekdays open (mon ... sun)."""
    hours: DaySpans = ("09:00-12:00", "13:30-17:30")
    """Open spans of each open day, as HH:MM-HH:MM."""

    def build(self) -> WeeklyCalendar:
        """The engine's calendar for this spec."""
        if self.always:
            return WeeklyCalendar.always_open()
        return WeeklyCalendar.from_days_hours(self.days, self.hours)
