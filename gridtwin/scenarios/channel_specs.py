"""The channels part of a scenario: how each channel is staffed, timed and opened."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from gridtwin.scenarios.base import CalendarSpec, ChannelKind, Identifier, Share, StrictModel
from gridtwin.scenarios.discovery_schema import (
    AssistedService,
    CameraConfirm,
    CellId,
    HomeVisits,
    PhotoUptake,
    SensorType,
    StaffApps,
    UnifiedPortal,
)
from gridtwin.scenarios.distributions import Distribution, Exponential, Fixed, LogNormal
from gridtwin.scenarios.staffing_schema import Shift

__all__ = [
    "Channels",
    "HotlineSpec",
    "KiosksSpec",
    "PatrolSpec",
    "PhotoSpec",
    "PortalSpec",
    "SensorsSpec",
    "WindowsSpec",
]


Seats = Annotated[int, Field(ge=0, le=10_000)]


class HotlineSpec(StrictModel):
    """A telephone line with seats, talk time and caller patience."""

    enabled: bool = True
    """Whether the line is open."""
    seats: Seats | tuple[Seats, ...] = 10
    """Seats on duty: one number around the clock, or 24 numbers, one per hour of the day
    (each at most 10,000; Beijing's 12345 has 600-700 on duty at peak)."""
    shifts: tuple[Shift, ...] = Field(default=(), max_length=50)
    """Extra seats on listed weekdays and hours (a weekly roster beside ``seats``)."""
    talk_time_s: Distribution = LogNormal(mean=150, sd=90)
    """Time an operator talks with a caller."""
    patience_s: Distribution = Exponential(mean=180)
    """Time a caller waits on hold before hanging up."""
    retry_probability: Share = 0.5
    """Probability that a caller who hung up tries again (else switches channel or gives up)."""
    retry_delay_min: Distribution = Exponential(mean=30)
    """Time before a caller who hung up calls again."""
    max_attempts: int = Field(default=3, ge=1, le=20)
    """Calls a resident makes at most before giving up on the line."""

    @field_validator("seats")
    @classmethod
    def _seats(cls, v: int | tuple[int, ...]) -> int | tuple[int, ...]:
        if not isinstance(v, int) and len(v) != 24:
            raise ValueError(f"needs 1 or 24 values (one per hour of day), got {len(v)}")
        return v

    @model_validator(mode="after")
    def _some_seat(self) -> HotlineSpec:
        if max(self.seats_by_hour()) == 0 and not self.shifts:
            raise ValueError("seats: needs at least one seat in some hour (or shifts)")
        return self

    def seats_by_hour(self) -> tuple[int, ...]:
        """24 seat counts."""
        return (self.seats,) * 24 if isinstance(self.seats, int) else self.seats


class PortalSpec(StrictModel):
    """Online portal and apps (一网通办)."""

    enabled: bool = True
    """Whether the portal is open."""
    submit_min: Distribution = Exponential(mean=15)
    """Time to fill in and submit an application or report online."""
    base_failure: Share = 0.05
    """Probability that an online submission fails for anyone."""
    literacy_failure: Share = 0.6
    """Added failure probability for a resident with literacy 0 (falls linearly to 0 at 1)."""
    apps: int = Field(default=1, ge=1, le=1000)
    """Number of separate apps a resident must pick from ("app sprawl")."""
    sprawl_failure_per_app: Share = 0.005
    """Added failure probability per app beyond the first."""
    assisted: AssistedService = AssistedService()
    """Assisted digital service: staff apply on behalf of residents who cannot (off)."""
    staff_apps: StaffApps = StaffApps()
    """Separate apps on staff phones: duplicate entry per case (1: none)."""
    unified: UnifiedPortal = UnifiedPortal()
    """One portal replacing the separate apps (off)."""


class DistrictCentreSpec(StrictModel):
    """The district's own service centre (区行政服务中心).

    It stands at the community nearest the district's centroid that has no street hall.
    """

    windows: int = Field(default=0, ge=0, le=1000)
    """Comprehensive mode: its windows."""
    specialised_windows: dict[Identifier, Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=dict
    )
    """Specialised mode: its windows per department (X district had 83 in all)."""


class WindowsSpec(StrictModel):
    """Service-hall windows."""

    enabled: bool = True
    """Whether service halls are open."""
    mode: Literal["comprehensive", "specialised"] = "comprehensive"
    """Comprehensive windows accept every item; specialised ones serve one department each."""
    halls: int = Field(default=1, ge=1, le=1000)
    """Service halls, placed at street centres (the first ones get one each)."""
    windows_per_hall: int = Field(default=4, ge=1, le=1000)
    """Comprehensive windows per hall."""
    shifts: tuple[Shift, ...] = Field(default=(), max_length=50)
    """Comprehensive mode: extra windows (clerks) in each street hall on listed weekdays and
    hours (a weekly roster beside ``windows_per_hall`` on the hall's ``calendar``)."""
    specialised_windows: dict[Identifier, Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=dict
    )
    """Specialised mode: windows per department in each hall."""
    service_min: Distribution = LogNormal(mean=15, sd=8)
    """Time a clerk serves one applicant at a window."""
    calendar: CalendarSpec = CalendarSpec(hours=("09:00-17:00",))
    """Opening hours of the halls."""
    front_desk_authority: Share = 1.0
    """Comprehensive mode: share of the applications simple enough to be approved on the
    spot (an item's ``on_the_spot_share``) that a front-desk generalist can approve alone.
    Specialised windows are staffed by the lead department's own clerks, who approve all of
    them."""
    expert_on_call: bool = False
    """Comprehensive mode: a front desk that cannot approve a simple application calls the
    lead department's expert, who approves it on the spot (专家一键通)."""
    expert_call_min: Distribution = Fixed(value=10)
    """Elapsed minutes of such a call (the expert is department staff on call: the call does
    not take a window)."""
    district_centre: DistrictCentreSpec | None = None
    """A district service centre beside the street halls: residents go to the nearest hall."""


class KiosksSpec(StrictModel):
    """24 h self-service kiosks."""

    enabled: bool = True
    """Whether kiosks are installed."""
    sites: int = Field(default=1, ge=1, le=10_000)
    """Kiosk sites, placed at street centres and spread over the district."""
    terminals: int = Field(default=2, ge=1, le=100_000)
    """Terminals in all, spread as evenly as possible over the sites."""
    items: tuple[Identifier, ...] | Literal["all"] = "all"
    """Admin items a kiosk can do."""
    service_min: Distribution = LogNormal(mean=8, sd=4)
    """Time an applicant spends at a terminal."""
    calendar: CalendarSpec = CalendarSpec(always=True)
    """Hours the kiosks are open."""
    site_cells: tuple[CellId, ...] = Field(default=(), max_length=10_000)
    """Communities (cell ids) where the kiosk sites stand, replacing ``sites`` (empty: placed
    automatically, street centres first)."""


class PatrolSpec(StrictModel):
    """Grid workers patrolling their grid (网格员)."""

    enabled: bool = True
    """Whether grid workers patrol."""
    workers_per_grid: int = Field(default=2, ge=0, le=1000)
    """Grid workers in each grid."""
    calendar: CalendarSpec = CalendarSpec(
        days=("mon", "tue", "wed", "thu", "fri", "sat"), hours=("08:30-12:00", "13:30-17:30")
    )
    """Patrol hours."""
    inspect_min: Distribution = Exponential(mean=20)
    """Time spent in a community on each visit (besides settling events)."""
    detect_probability: Share = 0.8
    """Probability of spotting a pending event in the community visited."""
    visit_detect_probability: Share = 0.3
    """Probability of finding a hidden need in the community visited (home visits)."""
    settle_min: Distribution = Exponential(mean=20)
    """Time a grid worker spends settling an event on the spot."""
    home_visits: HomeVisits = HomeVisits()
    """Scheduled home visits to elderly residents living alone (off: per_month 0)."""


class PhotoSpec(StrictModel):
    """Citizen photo reports (随手拍)."""

    enabled: bool = True
    """Whether residents can report by photo."""
    submit_min: Distribution = Fixed(value=3)
    """Time to take and upload a photo report."""
    report_boost: float = Field(default=0.2, ge=0, le=1)
    """Added report probability when the photo channel is open (it lowers the cost)."""
    uptake: PhotoUptake = PhotoUptake()
    """Who reports by photo, replacing ``report_boost`` when enabled (off)."""


class SensorsSpec(StrictModel):
    """IoT sensors: event sensors in communities, smart water meters for the elderly."""

    enabled: bool = True
    """Whether sensors are installed."""
    community_coverage: Share = 0.0
    """Share of communities with event sensors (water level, manholes, pipes)."""
    water_meter_coverage: Share = 0.0
    """Share of elderly living alone with a smart water meter (水管家)."""
    detect_delay_min: Distribution = Exponential(mean=30)
    """Time from the event to the sensor's alarm reaching the operations centre."""
    by_type: dict[Identifier, SensorType] = Field(default_factory=dict)
    """Sensors per urban-event type, with their own coverage, delay and false alarms."""
    camera_confirm: CameraConfirm = CameraConfirm()
    """Alarms checked on nearby cameras before a visit (off)."""
    alarm_visit_min: Distribution = Exponential(mean=20)
    """Grid-worker minutes at the scene of a false alarm, besides travel."""


class Channels(StrictModel):
    """Every channel; disable one with ``enabled: false``."""

    hotline: HotlineSpec = HotlineSpec()
    consultation: HotlineSpec = HotlineSpec(enabled=False)
    portal: PortalSpec = PortalSpec()
    window: WindowsSpec = WindowsSpec()
    kiosk: KiosksSpec = KiosksSpec()
    patrol: PatrolSpec = PatrolSpec()
    photo: PhotoSpec = PhotoSpec()
    sensor: SensorsSpec = SensorsSpec()

    def enabled(self, kind: ChannelKind) -> bool:
        """Whether channel ``kind`` is open in this scenario."""
        return bool(getattr(self, kind.value).enabled)
