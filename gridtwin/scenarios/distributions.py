"""Probability distributions as validated value objects.

Each distribution is a frozen pydantic model: it is validated when it is built (from Python or
from a scenario file), has a readable ``repr``, an analytic :attr:`mean` where one exists, and
draws with :meth:`sample`, which always takes the random generator explicitly. The engine owns
no randomness; callers hand in their own stream.

In a scenario file a distribution is a mapping with a ``dist`` key, or a bare number, which is
read as a fixed value::

    talk_time_s: {dist: lognormal, mean: 150, sd: 90}
    patience_s: {dist: exponential, mean: 120}
    inspect_min: 10
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable
from statistics import NormalDist
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from gridtwin.scenarios.quantiles import (
    EmpiricalQuantile,
    ExponentialQuantile,
    FixedQuantile,
    GammaQuantile,
    LogNormalQuantile,
    TriangularQuantile,
)

__all__ = [
    "MAX_VALUE",
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Triangular",
]


MAX_VALUE = 1e7
"""Largest parameter of any distribution, in the unit of its field (1e7 minutes is 19 years)."""


class _Dist(BaseModel):
    """Common base: frozen, strict about unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @property
    @abstractmethod
    def mean(self) -> float:
        """Analytic mean."""

    @abstractmethod
    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values from ``rng``."""

    @abstractmethod
    def quantile(self, factor: float = 1.0) -> Callable[[float], float]:
        """The inverse distribution function ``u -> value * factor`` (``u`` uniform in [0, 1)).

        Inverse-transform sampling: a case that draws its own uniform numbers turns them into
        values of any distribution, exactly, without sharing a stream with other cases. The
        factor (a unit change) is applied last, inside the one function the engine calls
        (compiled with the engine: :mod:`gridtwin.scenarios.quantiles`).
        """

    @abstractmethod
    def scaled(self, factor: float) -> _Dist:
        """The same distribution with every value multiplied by ``factor`` (unit changes)."""


class Fixed(_Dist):
    """A constant value."""

    dist: Literal["fixed"] = "fixed"
    value: float = Field(ge=0, le=MAX_VALUE)

    @property
    def mean(self) -> float:
        """The value itself."""
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Return ``n`` copies of the value (the generator is not advanced)."""
        return np.full(n, self.value, dtype=float)

    def quantile(self, factor: float = 1.0) -> Callable[[float], float]:
        """See :meth:`_Dist.quantile`."""
        return FixedQuantile(self.value * factor)

    def scaled(self, factor: float) -> Fixed:
        """See :meth:`_Dist.scaled`."""
        return Fixed(value=self.value * factor)


class Exponential(_Dist):
    """Exponential with the given mean."""

    dist: Literal["exponential"] = "exponential"
    mean_: float = Field(gt=0, le=MAX_VALUE, alias="mean")

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False
    )

    @property
    def mean(self) -> float:
        """Analytic mean."""
        return self.mean_

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        return rng.exponential(self.mean_, n)

    def quantile(self, factor: float = 1.0) -> Callable[[float], float]:
        """See :meth:`_Dist.quantile`."""
        return ExponentialQuantile(self.mean_, factor)

    def scaled(self, factor: float) -> Exponential:
        """See :meth:`_Dist.scaled`."""
        return Exponential(mean=self.mean_ * factor)

    def __repr__(self) -> str:
        return f"Exponential(mean={self.mean_!r})"


class LogNormal(_Dist):
    """Log-normal given by the mean and standard deviation of the values (not of the log)."""

    dist: Literal["lognormal"] = "lognormal"
    mean_: float = Field(gt=0, le=MAX_VALUE, alias="mean")
    sd: float = Field(gt=0, le=MAX_VALUE)

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False
    )

    @property
    def mean(self) -> float:
        """Analytic mean."""
        return self.mean_

    def _log_params(self) -> tuple[float, float]:
        cv = self.sd / self.mean_
        # log(1 + cv^2), written so that a huge cv does not overflow
        sigma2 = math.log1p(cv**2) if cv < 1e100 else 2.0 * math.log(cv)
        return math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        mu, sigma = self._log_params()
        return rng.lognormal(mu, sigma, n)

    def quantile(self, factor: float = 1.0) -> Callable[[float], float]:
        """See :meth:`_Dist.quantile`."""
        mu, sigma = self._log_params()
        return LogNormalQuantile(mu, sigma, factor, NormalDist().inv_cdf, _TINY)

    def scaled(self, factor: float) -> LogNormal:
        """See :meth:`_Dist.scaled`."""
        return LogNormal(mean=self.mean_ * factor, sd=self.sd * factor)

    def __repr__(self) -> str:
        return f"LogNormal(mean={self.mean_!r}, sd={self.sd!r})"


class Gamma(_Dist):
    """Gamma with shape ``k`` and scale ``theta``."""

    dist: Literal["gamma"] = "gamma"
    shape: float = Field(gt=0, le=1e6)
    scale: float = Field(gt=0, le=MAX_VALUE)

    @model_validator(mode="after")
    def _bounded_mean(self) -> Gamma:
        if self.shape * self.scale > MAX_VALUE:
            raise ValueError(
                f"mean shape * scale = {self.shape * self.scale:g} is too large; "
                f"allowed: at most {MAX_VALUE:g}"
            )
        return self

    @property
    def mean(self) -> float:
        """Analytic mean ``shape * scale``."""
        return self.shape * self.scale

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        return rng.gamma(self.shape, self.scale, n)

    def quantile(self, factor: float = 1.0) -> Callable[[float], float]:
        """See :meth:`_Dist.quantile` (the regularised incomplete gamma function inverted)."""
        from scipy.special import gammaincinv

        return GammaQuantile(self.shape, self.scale, factor, gammaincinv)

    def scaled(self, factor: float) -> Gamma:
        """See :meth:`_Dist.scaled`."""
        return Gamma(shape=self.shape, scale=self.scale * factor)


class Triangular(_Dist):
    """Triangular on ``[low, high]`` with the given mode."""

    dist: Literal["triangular"] = "triangular"
    low: float = Field(ge=0, le=MAX_VALUE)
    mode: float = Field(ge=0, le=MAX_VALUE)
    high: float = Field(gt=0, le=MAX_VALUE)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError(
                f"needs low <= mode <= high and low < high, got "
                f"low={self.low}, mode={self.mode}, high={self.high}"
            )
        return self

    @property
    def mean(self) -> float:
        """Analytic mean ``(low + mode + high) / 3``."""
        return (self.low + self.mode + self.high) / 3

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        return rng.triangular(self.low, self.mode, self.high, n)

    def quantile(self, factor: float = 1.0) -> Callable[[float], float]:
        """See :meth:`_Dist.quantile`."""
        return TriangularQuantile(self.low, self.mode, self.high, factor)

    def scaled(self, factor: float) -> Triangular:
        """See :meth:`_Dist.scaled`."""
        return Triangular(low=self.low * factor, mode=self.mode * factor, high=self.high * factor)


class Empirical(_Dist):
    """Resampling of observed values (with replacement, equal weights)."""

    dist: Literal["empirical"] = "empirical"
    values: tuple[float, ...] = Field(min_length=1, max_length=100_000)

    @model_validator(mode="after")
    def _non_negative(self) -> Empirical:
        bad = [v for v in self.values if not 0 <= v <= MAX_VALUE]
        if bad:
            raise ValueError(f"values must all be from 0 to {MAX_VALUE:g}, got {bad[:3]}")
        return self

    @property
    def mean(self) -> float:
        """Mean of the observed values."""
        return float(np.mean(self.values))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        return rng.choice(np.asarray(self.values, dtype=float), n)

    def quantile(self, factor: float = 1.0) -> Callable[[float], float]:
        """See :meth:`_Dist.quantile` (each observed value with equal probability)."""
        return EmpiricalQuantile([float(v) * factor for v in self.values])

    def scaled(self, factor: float) -> Empirical:
        """See :meth:`_Dist.scaled`."""
        return Empirical(values=tuple(v * factor for v in self.values))

    def __repr__(self) -> str:
        return f"Empirical(n={len(self.values)}, mean={self.mean:.4g})"


_TINY = 2.0**-60
"""Stands in for a uniform draw of exactly 0 where the inverse function is infinite at 0."""


def _number_to_fixed(value: Any) -> Any:
    """Read a bare number as a fixed distribution."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Distribution = Annotated[
    Fixed | Exponential | LogNormal | Gamma | Triangular | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_number_to_fixed),
]
"""Any of the distributions, chosen by the ``dist`` key (a bare number means ``fixed``)."""
