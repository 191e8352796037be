"""The scenario format: a validated description of a district, its services and its policies.

A scenario is plain data (YAML on disk). Every model here forbids unknown keys, so a misspelt
key is an error and not a silently ignored setting. Structural rules (types, ranges) are checked
by pydantic field by field; rules that tie parts together (a case type names a department that
exists, shares add up to one) are checked by :func:`gridtwin.scenarios.checks.cross_check`,
which returns every problem with the path of the field at fault instead of stopping at the first.

Units are in the field names: ``_s`` seconds, ``_min`` minutes, ``_h`` hours, ``_days`` days,
``_km2`` square kilometres, ``_year`` per year.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from gridtwin.scenarios.base import (
    MAX_DAYS,
    RESIDENT_CHANNELS,
    AgeGroup,
    Beta,
    CalendarSpec,
    CaseKind,
    ChannelKind,
    Coefficient,
    DiscoveryMode,
    Identifier,
    Share,
    SharingMode,
    StrictModel,
)
from gridtwin.scenarios.channel_specs import (
    Channels,
    HotlineSpec,
    KiosksSpec,
    PatrolSpec,
    PhotoSpec,
    PortalSpec,
    SensorsSpec,
    WindowsSpec,
)
from gridtwin.scenarios.discovery_schema import Privacy, Relief
from gridtwin.scenarios.distributions import Distribution, Exponential, Fixed, LogNormal
from gridtwin.scenarios.staffing_schema import (
    Accountability,
    Levels,
    Shift,
    Staffing,
    Typhoon,
)

MAX_SCALE = 10.0
"""Upper bound of the scale factors (``services.demand_scale``, ``behaviour.patience_scale``):
beyond ten times the calibrated value the scenario's staffing no longer means anything."""

__all__ = [
    "MAX_SCALE",
    "RESIDENT_CHANNELS",
    "AdminItem",
    "AgeGroup",
    "Behaviour",
    "Beta",
    "CalendarSpec",
    "CaseKind",
    "CaseType",
    "ChannelKind",
    "Channels",
    "City",
    "Department",
    "DiscoveryMode",
    "HiddenNeed",
    "HotlineSpec",
    "Identifier",
    "Inquiry",
    "KiosksSpec",
    "PatrolSpec",
    "PhotoSpec",
    "Policies",
    "Population",
    "PortalSpec",
    "Run",
    "Scenario",
    "SensorsSpec",
    "Share",
    "SharingMode",
    "StrictModel",
    "Surge",
    "SyntheticCity",
    "UrbanEvent",
    "WindowsSpec",
]


Weight = Annotated[float, Field(ge=0, le=1e6)]
"""A relative weight of an arrival profile."""


# --------------------------------------------------------------------------------------- city
class SyntheticCity(StrictModel):
    """A generated district: streets, grids and communities laid out on a square."""

    center_lon: float = Field(ge=-180, le=180)
    """Longitude of the district's centre (map display and projection)."""
    center_lat: float = Field(ge=-80, le=84)
    """Latitude of the district's centre."""
    area_km2: float = Field(gt=0, le=10_000)
    """Area of the district."""
    streets: int = Field(ge=1, le=500)
    """Streets (街道), each with a grid centre."""
    grids: int = Field(ge=1, le=5_000)
    """Responsibility grids (网格), each patrolled by its grid workers."""
    communities: int = Field(ge=1, le=50_000)
    """Residential communities (居民区), the cells residents live in."""

    @model_validator(mode="after")
    def _nested(self) -> SyntheticCity:
        if not self.streets <= self.grids <= self.communities:
            raise ValueError(
                "needs streets <= grids <= communities, got "
                f"{self.streets}, {self.grids}, {self.communities}"
            )
        return self


class City(StrictModel):
    """The territory: a synthetic district or a GeoJSON FeatureCollection of cells."""

    name: str = "district"
    """Display name of the territory."""
    synthetic: SyntheticCity | None = None
    geojson: str | None = None
    """Path to a FeatureCollection (relative to the scenario file). Each feature has the
    properties ``id``, ``parent`` (null for the district), ``level`` (district, street, grid,
    community), ``name`` and, on communities, ``population``."""
    walking_speed_kmh: float = Field(default=4.5, gt=0, le=100)
    """Speed of residents and grid workers moving between cells."""

    @model_validator(mode="after")
    def _one_source(self) -> City:
        if (self.synthetic is None) == (self.geojson is None):
            raise ValueError("give exactly one of 'synthetic' or 'geojson'")
        return self


# --------------------------------------------------------------------------------- population
class AgeGroupSpec(StrictModel):
    """One age group's share and traits."""

    share: Share
    """Share of the residents in this age group (the shares add up to 1)."""
    literacy: Beta
    """Digital literacy in [0, 1]: success online, use of apps and kiosks."""
    trust: Beta = Beta(a=6, b=3)
    """Initial trust in government services in [0, 1]: willingness to report."""
    living_alone_share: Share = 0.0
    """Share living alone (meaningful for the elderly: they carry hidden needs)."""


class Population(StrictModel):
    """Who lives in the district."""

    residents: int = Field(ge=1, le=50_000_000)
    """Total residents, split over communities by area (synthetic city) or by the GeoJSON
    ``population`` properties (then this total rescales them)."""
    age_groups: dict[AgeGroup, AgeGroupSpec]
    """Shares and traits per age group (young, adult, elderly)."""
    firms: int = Field(default=0, ge=0, le=50_000_000)
    """Firms, spread over communities like residents; they apply for items too."""


# ----------------------------------------------------------------------------- case catalogue
class Profile(StrictModel):
    """An hour-of-week shape of arrivals: ``hourly[h] * weekday[d]``, normalised to mean 1."""

    hourly: tuple[Weight, ...] = Field(default=(1.0,) * 24, min_length=24, max_length=24)
    """Weight of each hour of the day (24 values)."""
    weekday: tuple[Weight, ...] = Field(default=(1.0,) * 7, min_length=7, max_length=7)
    """Weight of each weekday, Monday first (7 values)."""

    @model_validator(mode="after")
    def _positive(self) -> Profile:
        if any(w < 0 for w in self.hourly + self.weekday) or sum(self.hourly) <= 0:
            raise ValueError("weights must be >= 0 and not all zero")
        if sum(self.weekday) <= 0:
            raise ValueError("weekday weights must not all be zero")
        return self

    def hour_of_week(self) -> list[float]:
        """168 weights (Monday 00:00 first) with mean 1."""
        raw = [self.weekday[h // 24] * self.hourly[h % 24] for h in range(168)]
        mean = sum(raw) / 168
        return [w / mean for w in raw]


class Material(StrictModel):
    """A certificate an item needs, and the department that issues it."""

    name: Identifier
    """The certificate's name (the certificate library names what it holds)."""
    issuer: Identifier
    """Department that issues it."""


class _CaseTypeBase(StrictModel):
    id: Identifier
    """Identifier of the case type (``--set services.case_types.<id>.…``)."""
    name: str = ""
    """Display name."""
    profile: Identifier = "flat"
    """Name of an hour-of-week profile in ``services.profiles`` (``flat`` always exists)."""
    handling_min: Distribution = Fixed(value=30)
    """Staff working minutes at the department that processes it."""
    promised_days: float = Field(default=15, gt=0, le=MAX_DAYS)
    """Promised (legal) time to close, in days: later closures lower satisfaction."""


class AdminItem(_CaseTypeBase):
    """An administrative service item (政务服务)."""

    kind: Literal["admin"] = "admin"
    """Administrative service item."""
    lead_department: Identifier
    """Department that approves and processes the item."""
    materials: tuple[Material, ...] = ()
    """Certificates the item needs; the applicant fetches those issued by other departments
    unless the departments share them."""
    rate_per_resident_year: float = Field(default=0.0, ge=0, le=100)
    """Applications per resident per year."""
    rate_per_firm_year: float = Field(default=0.0, ge=0, le=1000)
    """Applications per firm per year."""
    channels: tuple[ChannelKind, ...] = (ChannelKind.PORTAL, ChannelKind.WINDOW)
    """Channels through which the item can be applied for."""
    on_the_spot_share: Share = 0.0
    """Share approved at intake (window, kiosk or portal) without back-office processing."""
    bundle_of: tuple[Identifier, ...] = ()
    """A life event that needs these admin items ("one thing", 一件事): with
    ``policies.one_thing`` it is one application, its materials gathered once and the items
    processed in parallel; without it the resident applies for each item in turn."""


class UrbanEvent(_CaseTypeBase):
    """An urban governance event at a place (城市治理)."""

    kind: Literal["event"] = "event"
    """Urban governance event at a place."""
    department: Identifier
    """Department responsible for handling it."""
    clarity: Share = 1.0
    """How clear the responsibility is: 1 never misrouted, 0 misrouted as often as dispatch
    accuracy allows."""
    not_handleable_share: Share = 0.0
    """Share that cannot be handled (unreasonable, outside the remit): closed unresolved."""
    rate_per_resident_year: float = Field(default=0.0, ge=0, le=100)
    """Events per resident per year."""
    rate_per_km2_year: float = Field(default=0.0, ge=0, le=1_000_000)
    """Events per square kilometre per year."""
    discoverable_by: tuple[DiscoveryMode, ...] = (DiscoveryMode.RESIDENT, DiscoveryMode.PATROL)
    """Who can discover it: residents, grid workers on patrol, sensors."""
    report_probability: Share = 0.5
    """Probability that residents who notice it report it (scaled by their trust)."""
    report_delay_h: Distribution = Exponential(mean=4)
    """Time from the event to a resident's report."""
    channels: tuple[ChannelKind, ...] = (ChannelKind.HOTLINE, ChannelKind.PHOTO, ChannelKind.PORTAL)
    """Channels through which residents report it."""
    patrol_settle_share: Share = 0.0
    """Share a grid worker who finds it settles on the spot."""
    joint_departments: tuple[Identifier, ...] = ()
    """Other departments that must also act on it (group renting, safety hazards): with
    ``policies.joint_dispatch`` they work in parallel (联派联办), without it one after another,
    each with a dispatch of its own."""


class HiddenNeed(_CaseTypeBase):
    """A need never voiced (elderly living alone): found by visits or sensors only."""

    kind: Literal["hidden"] = "hidden"
    """Hidden need of an elderly resident living alone."""
    department: Identifier
    """Department that handles it once found."""
    rate_per_eligible_year: float = Field(default=0.0, ge=0, le=100)
    """Rate per elderly resident living alone."""
    discoverable_by: tuple[DiscoveryMode, ...] = (DiscoveryMode.PATROL, DiscoveryMode.SENSOR)
    """Who can find it: grid workers' visits, sensors (smart water meters)."""


class Inquiry(_CaseTypeBase):
    """A question (information-only contact)."""

    kind: Literal["inquiry"] = "inquiry"
    """Question."""
    rate_per_resident_year: float = Field(default=0.0, ge=0, le=100)
    """Questions per resident per year."""
    channels: tuple[ChannelKind, ...] = (ChannelKind.HOTLINE, ChannelKind.CONSULTATION)
    """Channels through which residents ask."""
    operator_resolution_share: Share = 1.0
    """Share answered by the operator at intake; the rest go to ``department``."""
    department: Identifier | None = None
    """Department that answers the questions the operator passes on (None: all answered at
    intake)."""


CaseType = Annotated[AdminItem | UrbanEvent | HiddenNeed | Inquiry, Field(discriminator="kind")]


class Services(StrictModel):
    """The case-type catalogue and its arrival profiles."""

    profiles: dict[Identifier, Profile] = Field(default_factory=dict)
    case_types: tuple[CaseType, ...] = Field(min_length=1)
    """The case types: admin items, urban events, hidden needs, inquiries."""
    surges: tuple[Surge, ...] = ()
    """Periods when arrivals are multiplied (an epidemic tripled a city's hotline volume)."""
    demand_scale: float = Field(default=1.0, gt=0, le=MAX_SCALE, allow_inf_nan=False)
    """Every arrival rate multiplied by this factor (an uncertainty: more or less demand in
    every case type, cell and hour alike). At most :data:`MAX_SCALE`."""
    typhoon: Typhoon | None = None
    """A typhoon or flood: a burst of flood events in low-lying communities (off: None)."""


class Surge(StrictModel):
    """Arrivals of some case types multiplied by ``factor`` from ``start_day`` to ``end_day``."""

    start_day: float = Field(ge=0, le=MAX_DAYS)
    """First day of the surge (days from the start of the run)."""
    end_day: float = Field(gt=0, le=MAX_DAYS)
    """Day the surge ends."""
    factor: float = Field(ge=0, le=100)
    """Multiplier of the arrival rates during the surge."""
    case_types: tuple[Identifier, ...] | Literal["all"] = "all"
    """Case types whose arrivals are multiplied, or ``all``."""

    @model_validator(mode="after")
    def _ordered(self) -> Surge:
        if self.end_day <= self.start_day:
            raise ValueError(f"end_day ({self.end_day}) must be > start_day ({self.start_day})")
        return self


# -------------------------------------------------------------------------------- departments
class Department(StrictModel):
    """A department: staff, working hours."""

    name: str = ""
    """Display name."""
    staff: int = Field(ge=1, le=100_000)
    """Handling staff on duty in its working hours."""
    calendar: CalendarSpec = CalendarSpec()
    """Working hours."""
    shifts: tuple[Shift, ...] = Field(default=(), max_length=50)
    """Extra staff on listed weekdays and hours, beside ``staff`` on ``calendar``."""


# ----------------------------------------------------------------------------------- policies
class DataSharing(StrictModel):
    """Data-sharing policy."""

    mode: SharingMode = SharingMode.NONE
    """None (silos), listed pairs of departments, or a shared certificate library."""
    pairs: tuple[tuple[Identifier, Identifier], ...] = ()
    """With mode ``pairs``: (lead department, issuing department) pairs that share."""
    library_materials: tuple[Identifier, ...] = ()
    """With mode ``library``: materials (by name) the certificate library holds."""
    library_issuers: tuple[Identifier, ...] = ()
    """With mode ``library``: departments whose every certificate is in the library."""
    library_coverage: Share = 0.9352
    """With mode ``library``: probability that a material neither named in
    ``library_materials`` nor issued by one of ``library_issuers`` is found in the library
    anyway (a typed-in share, for scenarios that do not name what the library covers; X
    district: 93.52%). Set it to 0 to let the exempt share follow from the named ones."""
    fetch_min: Distribution = Fixed(value=5)
    """Time for a department to fetch a shared material."""


class Policies(StrictModel):
    """Levers a planner pulls."""

    data_sharing: DataSharing = DataSharing()
    dispatch_min: Distribution = Exponential(mean=30)
    """City operations centre (城运中心): time from intake (or a grid worker's or a sensor's
    report) until the work order reaches a department; again after each bounce."""
    dispatch_accuracy: Share = 0.8
    """Probability that dispatch routes a case with unclear responsibility correctly."""
    max_bounces: int = Field(default=2, ge=0, le=20)
    """Bounces (退单) after which a case is closed unresolved."""
    bounce_review_min: Distribution = Exponential(mean=30)
    """Staff working minutes a wrong department spends before sending a case back (it queues
    for that department's staff first, so a bounce costs the case the queue, the review and
    another dispatch)."""
    confusion: dict[Identifier, dict[Identifier, Weight]] = Field(default_factory=dict)
    """Per responsible department: the departments a misrouted work order goes to instead,
    with relative weights (departments with overlapping remits, "踢皮球"). A department not
    listed here has its misrouted orders sent to any other department alike."""
    bounce_review_lag_h: Distribution = Fixed(value=0)
    """Working hours (of the wrong department's calendar) a misrouted order sits in that
    department's inbox before its staff review it and send it back."""
    channel_overrides: dict[Identifier, tuple[ChannelKind, ...]] = Field(default_factory=dict)
    """Per case type: the channels open to it (replaces the type's own list)."""
    response_limit_h: float = Field(default=24, gt=0, le=MAX_DAYS * 24)
    """A case counts as responded to if its intake completes within this time of reporting."""
    whistle: bool = False
    """"Blow the whistle" (吹哨报到): instead of closing a case that bounced ``max_bounces``
    times, the street summons the responsible department, which must handle it."""
    whistle_min: Distribution = Fixed(value=240)
    """Coordination time before a summoned department starts (elapsed minutes)."""
    joint_dispatch: bool = False
    """Joint dispatch (联派联办): departments of a case with ``joint_departments`` work in
    parallel instead of one after another."""
    one_thing: bool = False
    """Bundled items ("一件事") are applied for once and processed in parallel."""
    platforms: int = Field(default=1, ge=1, le=20)
    """Separate platforms a department must enter each case into (duplicate entry)."""
    entry_min: Distribution = Fixed(value=10)
    """Staff minutes to enter a case into one more platform ("machines adding people")."""
    levels: Levels = Levels()
    """Vertical levels a work order crosses, and whether their platforms are integrated."""
    accountability: Accountability = Accountability()
    """Rework after bad reviews, and the pressure of the three rates."""
    relief: Relief = Relief()
    """Proactive relief (精准救助): hardship found from shared data (off)."""
    privacy: Privacy = Privacy()
    """How much personal data sensing collects, and its cost in trust (level 0: none)."""


# ---------------------------------------------------------------------------------- behaviour
class ChannelChoice(StrictModel):
    """Multinomial-logit coefficients of the residents' channel choice."""

    asc: dict[ChannelKind, Coefficient] = Field(default_factory=dict)
    """Alternative-specific constants."""
    literacy: dict[ChannelKind, Coefficient] = Field(default_factory=dict)
    """Times digital literacy in [0, 1]."""
    trust: dict[ChannelKind, Coefficient] = Field(default_factory=dict)
    """Times trust in [0, 1]."""
    distance_per_km: dict[ChannelKind, Coefficient] = Field(default_factory=dict)
    """Times the network distance to the nearest hall (window) or kiosk site (kiosk)."""
    age: dict[AgeGroup, dict[ChannelKind, Coefficient]] = Field(default_factory=dict)
    """Added per age group."""


class SatisfactionModel(StrictModel):
    """Whether a resident is satisfied with a case, whether they rate or complain, and trust.

    Every closed or abandoned case with a resident is judged from the whole experience: a
    logit of the outcome, lateness against the promised time, trips, bounces, time spent
    waiting (hotline hold, window and kiosk queues), failed attempts (hung up, failed online)
    and the fit of the channel to the resident's digital literacy. An abandoned case is
    never satisfied. Trust then moves towards the verdict for the resident and, by word of
    mouth, for a few others in the same community. See ``docs/model.md`` for the sources.
    """

    base: Coefficient = 1.5
    """Constant of the satisfaction logit."""
    resolved: Coefficient = 1.5
    """Added when the problem is solved (closed unresolved: not added)."""
    per_day_late: Coefficient = -0.3
    """Per day past the promised time."""
    per_extra_trip: Coefficient = -0.5
    """Per trip beyond the first."""
    per_bounce: Coefficient = -0.6
    """Per bounce (退单) of the work order between departments."""
    per_hour_waiting: Coefficient = -0.5
    """Per hour spent waiting at channels (hotline hold, including calls that hung up; window
    and kiosk queues)."""
    per_failed_attempt: Coefficient = -0.7
    """Per failed attempt at intake (a call that hung up, a failed online submission)."""
    literacy_gap: dict[ChannelKind, Coefficient] = Field(default_factory=dict)
    """Per intake channel: added times ``1 - digital literacy`` (a digital channel fits a
    resident of low literacy badly; e.g. ``portal: -1.5``)."""
    rating_probability: Share = 0.7
    """Probability that a satisfied resident rates the service (好差评)."""
    rating_probability_unsatisfied: Share | None = None
    """Probability that a dissatisfied resident rates it (unhappy residents rate more);
    None: the same as ``rating_probability``."""
    complaint_probability: Share = 0.0
    """Probability that a dissatisfied resident (abandoned cases included) complains."""
    trust_learning_rate: Share = 0.2
    """Every resident with a closed or abandoned case moves their trust this far towards 1
    when satisfied."""
    trust_loss_rate: Share | None = None
    """How far trust moves towards 0 after a dissatisfying case (None: the learning rate).
    Trust is lost faster than it is won (Slovic's asymmetry principle): with a loss rate
    ``k`` times the learning rate, trust settles where ``s (1 - t) = k (1 - s) t`` for a
    share ``s`` of satisfying experiences, so it falls once ``s`` drops below
    ``k t / (1 - t + k t)``."""
    word_of_mouth_rate: Share = 0.0
    """Each such experience moves the trust of ``word_of_mouth_contacts`` other residents of
    the same community by this fraction of what it moves the resident's own."""
    word_of_mouth_contacts: int = Field(default=0, ge=0, le=50)
    """Residents of the community who hear of each experience (at most 50)."""


class Behaviour(StrictModel):
    """How residents behave."""

    channel_choice: ChannelChoice = ChannelChoice()
    satisfaction: SatisfactionModel = SatisfactionModel()
    trip_min: Distribution = LogNormal(mean=120, sd=60)
    """Time a trip to fetch a material in person takes (done in the issuer's working hours)."""
    apply_delay_h: Distribution = Exponential(mean=2)
    """Time from a need arising to the resident contacting a channel."""
    return_spread_h: float = Field(default=4.0, ge=0, le=168)
    """A resident who would reach a hall or kiosk while it is closed comes at a uniformly
    random time within this many open hours after it opens (not all at the opening minute)."""
    patience_scale: float = Field(default=1.0, gt=0, le=MAX_SCALE, allow_inf_nan=False)
    """Every caller's patience on the hotline and the consultation line multiplied by this
    factor (an uncertainty: how long residents wait before hanging up). At most
    :data:`MAX_SCALE`."""
    fallback_probability: Share = 0.7
    """Probability that a resident whose attempt failed on one channel (hung up for good,
    failed online) tries another channel instead of giving up."""


class Run(StrictModel):
    """Run length and seed."""

    horizon_days: float = Field(default=28, gt=0, le=MAX_DAYS)
    """Days simulated in all, warm-up included."""
    warmup_days: float = Field(default=0, ge=0, le=MAX_DAYS)
    """Cases arising in the first days are simulated but left out of the outcomes."""
    seed: int = Field(default=1, ge=0, le=2**63 - 1)
    """Seed of every random stream of the run (same scenario and seed, same outputs)."""

    @field_validator("warmup_days")
    @classmethod
    def _warmup(cls, v: float, info: ValidationInfo) -> float:
        horizon = info.data.get("horizon_days")
        if horizon is not None and v >= horizon:
            raise ValueError(
                f"must be < horizon_days ({horizon:g}); the outcomes need days after it"
            )
        return v


class Scenario(StrictModel):
    """A whole scenario."""

    name: str
    """Short name of the scenario."""
    description: str = ""
    """What the scenario models; its first line is a one-line summary (``gridtwin scenarios
    list`` prints it)."""
    city: City
    population: Population
    departments: dict[Identifier, Department] = Field(min_length=1)
    services: Services
    channels: Channels = Channels()
    policies: Policies = Policies()
    behaviour: Behaviour = Behaviour()
    staffing: Staffing = Staffing()
    run: Run = Run()

    def case_type(self, type_id: str) -> AdminItem | UrbanEvent | HiddenNeed | Inquiry:
        """The case type with this id."""
        for ct in self.services.case_types:
            if ct.id == type_id:
                return ct
        raise KeyError(type_id)


def __getattr__(name: str) -> Any:
    """Keep ``Problem`` and ``cross_check`` importable from here; they live in ``checks``.

    The import is lazy (PEP 562): :mod:`gridtwin.scenarios.checks` imports this module, so
    this module must not import it while it loads.
    """
    if name in ("Problem", "cross_check"):
        from gridtwin.scenarios import checks

        return getattr(checks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
