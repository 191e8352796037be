"""Scenario parts of the channel, discovery, proactive-relief and privacy levers.

Each model here is hooked into the scenario by one field of an existing part
(``channels.portal.assisted``, ``channels.sensor.by_type``, ``policies.relief``...) and every
one defaults to *off*: a scenario that does not name them runs exactly as before. The
mechanisms live in :mod:`gridtwin.agents.assisted`, :mod:`gridtwin.agents.visits`,
:mod:`gridtwin.agents.relief` and :mod:`gridtwin.agents.levers`; ``docs/policies.md`` gives
the field mechanism each models and its measured effect.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from gridtwin.scenarios.base import AgeGroup, Coefficient, Identifier, Share, StrictModel
from gridtwin.scenarios.distributions import Distribution, Exponential, Fixed, LogNormal

__all__ = [
    "AssistedService",
    "CameraConfirm",
    "CellId",
    "HomeVisits",
    "NeedIndicator",
    "PhotoUptake",
    "Privacy",
    "Relief",
    "SensorType",
    "StaffApps",
    "UnifiedPortal",
]

CellId = Annotated[str, Field(min_length=1, max_length=200)]
"""The id of a cell (a community) of the city, as the synthetic city or the GeoJSON names it."""


# ------------------------------------------------------------------------------- channels (3)
class AssistedService(StrictModel):
    """Assisted digital service (帮办代办): staff apply online on behalf of a resident.

    A resident who cannot use the portal well (in one of ``ages``, or with digital literacy
    below ``literacy_below``) and who applies online accepts help with probability
    ``take_up``; the helper then enters the application for them: ``assist_min`` of the
    helper's working time, failing only with ``failure`` (no literacy or app-sprawl failure).
    """

    enabled: bool = False
    """Offer assisted service to residents who cannot apply online themselves."""
    provider: Literal["grid_worker", "hall_staff"] = "grid_worker"
    """``grid_worker``: the resident's grid worker comes by (a visit: travel and
    ``assist_min`` of the worker's patrol time, in the patrol calendar); ``hall_staff``:
    ``helpers`` clerks at the service hall, in the windows' calendar, first come first
    served."""
    ages: tuple[AgeGroup, ...] = (AgeGroup.ELDERLY,)
    """Age groups offered help."""
    literacy_below: Share = 0.2
    """Residents of any age with digital literacy below this are offered help too."""
    take_up: Share = 0.8
    """Probability that a resident offered help accepts it."""
    assist_min: Distribution = LogNormal(mean=20, sd=10)
    """Staff minutes to apply on a resident's behalf."""
    failure: Share = 0.01
    """Probability that an assisted submission fails."""
    helpers: int = Field(default=1, ge=1, le=100_000)
    """With ``hall_staff``: clerks on duty for assisted service."""


class StaffApps(StrictModel):
    """App sprawl on staff phones (管理空转): each case is entered into every separate app."""

    apps: int = Field(default=1, ge=1, le=1000)
    """Separate apps a department clerk or grid worker enters each case into."""
    entry_min: Distribution = Fixed(value=3)
    """Staff minutes to enter one case into one more app."""


class UnifiedPortal(StrictModel):
    """One portal replacing the separate apps (一网通办 done fully)."""

    enabled: bool = False
    """Residents and staff use one app: no sprawl failure, no duplicate entry."""
    base_failure: Share | None = None
    """Base failure of a submission on the unified portal (None: the portal's own)."""


# ------------------------------------------------------------------------------ discovery (4)
class SensorType(StrictModel):
    """Sensors for one urban-event type (water level, manholes, smoke...)."""

    coverage: Share = 0.0
    """Share of communities with this type's sensors (drawn once per run)."""
    detect_delay_min: Distribution = Exponential(mean=15)
    """From the event to the alarm."""
    false_alarms_per_year: float = Field(default=0.0, ge=0, le=10_000, allow_inf_nan=False)
    """False alarms per covered community per year; each costs a grid worker's visit unless
    the cameras show it is false (``camera_confirm``)."""


class CameraConfirm(StrictModel):
    """An alarm pulls up the cameras near it before anyone is sent (§3: within 300 m)."""

    enabled: bool = False
    """Check every alarm on nearby cameras before sending anyone."""
    check_min: Distribution = Fixed(value=3)
    """Operator minutes per alarm; a true alarm's dispatch waits for them."""
    catch_false: Share = 0.9
    """Share of false alarms the cameras show to be false (no visit)."""


class HomeVisits(StrictModel):
    """Scheduled home visits to elderly residents living alone, apart from patrol."""

    per_month: float = Field(default=0.0, ge=0, le=31, allow_inf_nan=False)
    """Visits per resident per 30 days (0: none beyond what patrol finds)."""
    visit_min: Distribution = Exponential(mean=20)
    """Worker minutes per visit, besides travel."""
    detect_probability: Share = 0.9
    """Probability that a visit finds a hidden need of the resident visited."""


class PhotoUptake(StrictModel):
    """Who reports by photo (随手拍): a logit of the resident who sees an event.

    With ``enabled`` the resident who sees an event also reports it by photo with
    probability ``logistic(asc + literacy * l + trust * t + age[a])``, independently of the
    ordinary report decision, and the additive ``report_boost`` is not used.
    """

    enabled: bool = False
    """Use this uptake model instead of the flat ``report_boost``."""
    asc: Coefficient = -2.0
    """Constant of the photo-report logit."""
    literacy: Coefficient = 3.0
    """Logit coefficient of digital literacy (0-1)."""
    trust: Coefficient = 1.0
    """Logit coefficient of trust (0-1)."""
    age: dict[AgeGroup, Coefficient] = Field(
        default_factory=lambda: {AgeGroup.YOUNG: 0.5, AgeGroup.ELDERLY: -1.5}
    )
    """Logit terms by age group."""
    report_delay_h: Distribution = Exponential(mean=0.5)
    """From seeing the event to uploading the photo."""


# ------------------------------------------------------------------------ proactive relief (6)
class NeedIndicator(StrictModel):
    """One indicator of household hardship in the shared data."""

    weight: float = Field(default=1.0, ge=0, le=100, allow_inf_nan=False)
    """Weight of the indicator in the need score."""
    signal: float = Field(default=1.0, ge=-10, le=10, allow_inf_nan=False)
    """How far hardship moves the indicator, in standard deviations of its spread."""


def _indicators() -> dict[str, NeedIndicator]:
    return {
        "income": NeedIndicator(weight=1.0, signal=1.5),
        "disability": NeedIndicator(weight=1.0, signal=0.5),
        "living_alone": NeedIndicator(weight=0.5, signal=0.5),
        "medical_spending": NeedIndicator(weight=1.0, signal=1.2),
    }


class Relief(StrictModel):
    """Proactive relief (精准救助): households in hardship found from shared data.

    Every ``scan_interval_days`` each household the case type can arise in is scored over
    the indicators: ``sum(weight * (z + need * signal + noise)) / sum(weight)``, with ``z``
    the household's own standard-normal level (drawn once) and ``noise`` normal with sd
    ``noise_sd`` (drawn at each scan). A score above ``threshold`` sends a grid worker to
    verify (a visit); a household with no pending need is a false positive.
    """

    enabled: bool = False
    """Scan the shared data for hardship (off: found only by application or patrol)."""
    case_type: Identifier = "household_hardship"
    """The hidden-need case type the model looks for (its outcomes are reported as
    ``relief_*`` whether or not the lever is on)."""
    indicators: dict[Identifier, NeedIndicator] = Field(
        default_factory=_indicators, min_length=1, max_length=50
    )
    """The indicators the departments share, by name."""
    threshold: float = Field(default=1.5, ge=-10, le=10, allow_inf_nan=False)
    """Need score above which a household is visited (lower: more found, more false
    positives)."""
    noise_sd: float = Field(default=0.5, ge=0, le=10, allow_inf_nan=False)
    """Noise of each scan's indicators, in standard deviations."""
    scan_interval_days: float = Field(default=30, ge=1, le=366, allow_inf_nan=False)
    """Days between scans of the shared data."""
    visit_min: Distribution = Exponential(mean=30)
    """Worker minutes per verification visit, besides travel."""


# ----------------------------------------------------------------------- privacy and trust (8)
class Privacy(StrictModel):
    """How much personal data sensing collects, and what it costs in trust (§7)."""

    personal_data_level: Share = 0.0
    """0: sensors keep only what an alarm needs; 1: identities, faces and movements."""
    trust_drift_per_year: Share = 0.3
    """At level 1, the share of trust a resident living under sensing loses in a year (the
    loss scales with the level): trust drifts towards 0 by ``level * drift / 365`` a day."""
