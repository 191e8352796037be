"""The experiment format: levers, uncertainties, a design, replications and outcomes, as data.

An experiment file (YAML) names a scenario and the fields to vary, kept apart as in
exploratory modelling (EMA Workbench): **levers** are the policy choices a planner makes,
**uncertainties** the futures the planner cannot choose. Both address scenario fields by the
same dotted paths as ``--set``::

    scenario: street
    set: {run.horizon_days: 28}
    levers:
      channels.hotline.seats: [1, 2, 4]
      channels.window.windows_per_hall: {low: 1, high: 2, step: 1}
    uncertainties:
      services.demand_scale: {low: 0.8, high: 1.2}
      behaviour.patience_scale: {dist: triangular, low: 0.5, mode: 1, high: 1.5}
    design: {method: full_factorial, futures: 2, seed: 3}
    replications: 3
    seed: 2026
    outcomes: {hotline_abandon_rate: min, resolution_rate: max}

Every model here forbids unknown keys; :mod:`gridtwin.experiments.loader` turns validation
errors into field paths with the scenario machinery.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gridtwin.agents.levers import LEVER_KPI_NAMES as CHANNEL_LEVER_KPIS
from gridtwin.scenarios.distributions import Distribution
from gridtwin.sim.lever_kpis import LEVER_KPI_NAMES as STAFFING_LEVER_KPIS

__all__ = [
    "KPI_NAMES",
    "DesignSpec",
    "Direction",
    "Experiment",
    "FullFactorial",
    "LatinHypercube",
    "LeverRange",
    "Morris",
    "Sobol",
    "Table",
    "UncertaintyRange",
    "factor_from_unit",
    "factor_values",
]

KPI_NAMES = (
    "cases_total",
    "cases_resolved",
    "cases_closed_unresolved",
    "cases_abandoned",
    "cases_open_at_end",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "satisfaction_all_rate",
    "complaints",
    "trust_mean_start",
    "trust_mean_end",
    "mean_time_to_close_h",
    "p90_time_to_close_h",
    "mean_time_to_complete_h",
    "p90_time_to_complete_h",
    "trips_per_case_mean",
    "share_at_most_one_trip",
    "hotline_mean_wait_s",
    "hotline_abandon_rate",
    "hotline_answered_within_15s",
    "hotline_calls",
    "window_mean_wait_min",
    "misrouted_share",
    "not_handleable_share",
    "materials_exempt_share",
    "share_completed_on_spot",
    "utilisation_by_department",
    "kpis_by_age_group",
    "cases_by_kind",
    "cases_by_channel",
    "online_share",
    "hidden_needs_found_share",
    "mean_time_to_discover_h",
    "kpis_by_case_type",
    *STAFFING_LEVER_KPIS,
    *CHANNEL_LEVER_KPIS,
    "events_processed",
)
"""Top-level KPI names an outcome may name (nested ones with dots:
``utilisation_by_department.tax``)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Direction(StrEnum):
    """Whether an outcome is better small or large."""

    MIN = "min"
    MAX = "max"


class LeverRange(_Strict):
    """A lever's range: ``low`` to ``high`` (inclusive) by ``step``.

    Without a step the lever is continuous (sampling designs only).
    """

    low: float
    high: float
    step: float | None = Field(default=None, gt=0)

    @field_validator("high")
    @classmethod
    def _not_empty(cls, high: float, info: ValidationInfo) -> float:
        low = info.data.get("low")
        if low is not None and high < low:
            raise ValueError(f"is < low ({low:g}): the range is empty")
        return high

    def is_integer(self) -> bool:
        """Whether every value of the range is a whole number."""
        return all(float(x).is_integer() for x in (self.low, self.high, self.step or 0.5))


class UncertaintyRange(_Strict):
    """An uncertainty sampled uniformly between ``low`` and ``high``."""

    low: float
    high: float

    @field_validator("high")
    @classmethod
    def _not_empty(cls, high: float, info: ValidationInfo) -> float:
        low = info.data.get("low")
        if low is not None and high <= low:
            raise ValueError(f"is not > low ({low:g}): the range is empty")
        return high


Values = Annotated[list[Any], Field(min_length=1)]
Lever = Values | LeverRange
Uncertainty = Values | UncertaintyRange | Distribution


def factor_values(spec: Lever | Uncertainty) -> list[Any] | None:
    """The discrete values a factor takes (None for a continuous one)."""
    if isinstance(spec, list):
        return list(spec)
    if isinstance(spec, LeverRange) and spec.step is not None:
        n = int(math.floor((spec.high - spec.low) / spec.step + 1e-9)) + 1
        values = [spec.low + i * spec.step for i in range(n)]
        return [int(round(v)) for v in values] if spec.is_integer() else values
    return None


def factor_from_unit(spec: Lever | Uncertainty, u: float) -> Any:
    """The factor's value at ``u`` in [0, 1]: a sampling design's coordinate made a value.

    Discrete factors take the value of the cell ``u`` falls in; ranges are linear;
    distributions are read through their inverse distribution function.
    """
    u = min(max(float(u), 0.0), 1.0)
    values = factor_values(spec)
    if values is not None:
        return values[min(int(u * len(values)), len(values) - 1)]
    if isinstance(spec, LeverRange | UncertaintyRange):
        return spec.low + u * (spec.high - spec.low)
    return spec.quantile()(min(u, 1.0 - 1e-12))  # type: ignore[union-attr]


class FullFactorial(_Strict):
    """Every combination of the levers' values, crossed with the futures.

    Futures are the combinations of the uncertainties' listed values, or, with ``futures``,
    that many Latin-hypercube samples of the uncertainties (seeded by ``seed``).
    """

    method: Literal["full_factorial"] = "full_factorial"
    futures: int | None = Field(default=None, ge=1, le=100_000)
    seed: int = Field(default=0, ge=0)


class LatinHypercube(_Strict):
    """``n`` Latin-hypercube samples over the levers and uncertainties together (seeded)."""

    method: Literal["latin_hypercube"] = "latin_hypercube"
    n: int = Field(ge=1, le=1_000_000)
    seed: int = Field(default=0, ge=0)


class Sobol(_Strict):
    """SALib's Saltelli sampler for Sobol indices: ``n * (d + 2)`` points (``n`` a power of 2)."""

    method: Literal["sobol"] = "sobol"
    n: int = Field(ge=2, le=1_048_576)
    seed: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _power_of_two(self) -> Sobol:
        if self.n & (self.n - 1):
            raise ValueError(f"n must be a power of 2 (Sobol' sequence), got {self.n}")
        return self


class Morris(_Strict):
    """SALib's Morris sampler: ``n`` trajectories on a grid of ``levels`` (elementary effects)."""

    method: Literal["morris"] = "morris"
    n: int = Field(ge=2, le=100_000)
    levels: int = Field(default=4, ge=2, le=100)
    seed: int = Field(default=0, ge=0)


class Table(_Strict):
    """The points of a CSV file: one column per lever and uncertainty path, one row a point."""

    method: Literal["table"] = "table"
    file: str = Field(min_length=1)


def _bare_method(value: Any) -> Any:
    """``design: full_factorial`` is short for ``design: {method: full_factorial}``."""
    return {"method": value} if isinstance(value, str) else value


DesignSpec = Annotated[
    FullFactorial | LatinHypercube | Sobol | Morris | Table,
    Field(discriminator="method"),
    BeforeValidator(_bare_method),
]
"""How the levers and the uncertainties are crossed into design points."""


class Experiment(_Strict):
    """A whole experiment file."""

    name: str = ""
    description: str = ""
    scenario: str = Field(min_length=1)
    """A built-in scenario name or a YAML file (relative to the experiment file)."""
    set_: dict[str, Any] = Field(default_factory=dict, alias="set")
    """Constants: dotted path → value, applied to the scenario before any lever."""
    levers: dict[str, Lever] = Field(default_factory=dict)
    uncertainties: dict[str, Uncertainty] = Field(default_factory=dict)
    design: DesignSpec = FullFactorial()
    replications: int = Field(default=3, ge=1, le=100_000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    """Replication ``r`` of every point runs with the seed derived from (seed, r)."""
    common_random_numbers: bool = True
    """False: every run gets a seed of its own (only to measure what pairing gains)."""
    outcomes: dict[str, Direction] = Field(min_length=1)
    """KPI names (nested ones with dots) and whether smaller or larger is better."""
    baseline: dict[str, Any] = Field(default_factory=dict)
    """Lever values of the policy the others are compared with (default: the first policy)."""
    keep: tuple[Literal["timeseries"], ...] = ()
    """Extra results to store per run: ``timeseries`` (the hourly series)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True
    )

    @property
    def factors(self) -> dict[str, Lever | Uncertainty]:
        """Levers then uncertainties, by path."""
        return {**self.levers, **self.uncertainties}
