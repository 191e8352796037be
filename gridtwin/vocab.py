"""The project's shared vocabulary: the kinds of things, their code order, units of time.

Scenario format, engine and agents all speak of channels, age groups and case kinds; this
module is where those words live, so that none of the three has to borrow them from another.
It imports nothing of the project. Codes in the event log index :data:`CHANNEL_ORDER`;
population arrays index :data:`AGE_GROUPS`.

Enum members on the engine's hot paths: on Python 3.11 every attribute read off an enum class
(``CaseKind.HIDDEN``, ``Stage.QUEUE``) goes through ``EnumType.__getattr__``'s hook, about
100 ns more than a module global. The modules that read members for every case bind them
once at module level (``_HIDDEN = CaseKind.HIDDEN``).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AGE_GROUPS",
    "CHANNEL_ORDER",
    "MINUTES_PER_DAY",
    "MINUTES_PER_HOUR",
    "MINUTES_PER_WEEK",
    "RESIDENT_CHANNELS",
    "WEEKDAYS",
    "AgeGroup",
    "CaseKind",
    "ChannelKind",
    "DiscoveryMode",
    "SharingMode",
]

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekdays in order; simulated time 0 is a Monday at 00:00."""


class ChannelKind(StrEnum):
    """How a case enters the system."""

    HOTLINE = "hotline"
    """12345 city hotline: an operator takes the call and creates a work order."""
    CONSULTATION = "consultation"
    """24 h consultation line (一按灵): answers questions, creates no work order."""
    PORTAL = "portal"
    """Online portal or app (一网通办)."""
    WINDOW = "window"
    """Service-hall window."""
    KIOSK = "kiosk"
    """24 h self-service kiosk."""
    PHOTO = "photo"
    """Citizen photo report (随手拍)."""
    PATROL = "patrol"
    """Found by a grid worker on patrol or on a visit."""
    SENSOR = "sensor"
    """Found by an IoT sensor."""


RESIDENT_CHANNELS = (
    ChannelKind.HOTLINE,
    ChannelKind.CONSULTATION,
    ChannelKind.PORTAL,
    ChannelKind.WINDOW,
    ChannelKind.KIOSK,
    ChannelKind.PHOTO,
)
"""Channels a resident can choose; patrol and sensors discover, they are not chosen."""


class AgeGroup(StrEnum):
    """Age groups that differ in channel use and digital literacy."""

    YOUNG = "young"
    ADULT = "adult"
    ELDERLY = "elderly"


class CaseKind(StrEnum):
    """The families of cases of the domain brief."""

    ADMIN = "admin"
    """Administrative service item (permit, registration, benefit)."""
    EVENT = "event"
    """Urban governance event at a place (noise, sanitation, road damage...)."""
    HIDDEN = "hidden"
    """Hidden need of an elderly resident living alone, found only by visits or sensors."""
    INQUIRY = "inquiry"
    """A question: answered at intake, or passed on to a department."""


class DiscoveryMode(StrEnum):
    """Who can discover an urban event or a hidden need."""

    RESIDENT = "resident"
    PATROL = "patrol"
    SENSOR = "sensor"


class SharingMode(StrEnum):
    """How departments share the data (certificates) they issue."""

    NONE = "none"
    """Every material from another department costs the applicant a trip."""
    PAIRS = "pairs"
    """Only the listed (lead department, issuing department) pairs share."""
    LIBRARY = "library"
    """A shared electronic certificate library holds a share of all materials."""


CHANNEL_ORDER: tuple[ChannelKind, ...] = tuple(ChannelKind)
"""Channel kinds in code order: event-log channel codes index this tuple."""

AGE_GROUPS: tuple[AgeGroup, ...] = (AgeGroup.YOUNG, AgeGroup.ADULT, AgeGroup.ELDERLY)
"""Age groups in code order: ``age_group`` holds indexes into this tuple."""
