"""Time to close as a survival fit: requests still open are right-censored, not dropped.

:func:`kaplan_meier` gives the nonparametric estimate with Greenwood's variance and quantiles
with intervals (Brookmeyer–Crowley: the times where the pointwise log-log band crosses the
level); :func:`fit_parametric` fits log-normal, Weibull and gamma distributions by maximum
likelihood with right-censoring (scipy), each with its AIC.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, special, stats

__all__ = ["KaplanMeier", "ParametricFit", "fit_parametric", "kaplan_meier", "spliced_points"]

_Z = 1.959963984540054
_FLOOR_H = 1.0 / 60.0
"""Durations under a minute are taken as one minute in the parametric fits."""


@dataclass(frozen=True)
class KaplanMeier:
    """The product-limit estimate at the distinct event times."""

    times: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: int
    events: int

    def restricted_mean(self) -> float:
        """Mean time to close up to the last observed closure (the area under the curve)."""
        if self.times.size == 0:
            return 0.0
        steps = np.diff(np.concatenate([[0.0], self.times]))
        before = np.concatenate([[1.0], self.survival[:-1]])
        return float((steps * before).sum())

    def hourly_area(self) -> np.ndarray:
        """The area under the curve hour by hour (hour k: ``∫ S`` over ``[k, k+1)``)."""
        if self.times.size == 0:
            return np.zeros(1)
        n = int(math.ceil(float(self.times[-1]))) + 1
        surv = np.concatenate([[1.0], self.survival])
        fine = np.linspace(0.0, float(n), n * 12 + 1)  # five-minute steps
        s = surv[np.searchsorted(self.times, fine, side="right")]
        area = (s[:-1] + s[1:]) / 2 * (fine[1] - fine[0])
        return area.reshape(n, 12).sum(axis=1)

    def quantile(self, q: float) -> dict[str, float | None]:
        """The ``q`` quantile (e.g. 0.5) with its 95% interval; None beyond the follow-up."""
        level = 1.0 - q

        def first(curve: np.ndarray) -> float | None:
            hit = np.nonzero(curve <= level + 1e-12)[0]
            return float(self.times[hit[0]]) if hit.size else None

        return {"value": first(self.survival), "low": first(self.lower),
                "high": first(self.upper)}


def kaplan_meier(durations: np.ndarray, observed: np.ndarray) -> KaplanMeier:
    """Kaplan–Meier estimate of durations (``observed`` false: censored at that duration)."""
    d = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if d.size == 0:
        empty = np.empty(0)
        return KaplanMeier(empty, empty, empty, empty, 0, 0)
    times = np.unique(d[e])
    order = np.sort(d)
    at_risk = d.size - np.searchsorted(order, times, side="left")
    deaths = np.unique(d[e], return_counts=True)[1]
    frac = 1.0 - deaths / at_risk
    surv = np.cumprod(frac)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.cumsum(deaths / (at_risk * np.maximum(at_risk - deaths, 1e-12)))
        logs = np.log(surv)
        se = np.sqrt(green) / np.abs(logs)
        lo = np.exp(-np.exp(np.log(-logs) + _Z * se))
        hi = np.exp(-np.exp(np.log(-logs) - _Z * se))
    lo = np.where(surv <= 0, 0.0, np.nan_to_num(lo, nan=0.0))
    hi = np.where(surv >= 1, 1.0, np.where(surv <= 0, 0.0, np.nan_to_num(hi, nan=1.0)))
    return KaplanMeier(times, surv, lo, hi, int(d.size), int(e.sum()))


@dataclass(frozen=True)
class ParametricFit:
    """A fitted distribution of time to close in hours."""

    family: str
    params: dict[str, float]
    aic: float
    mean_h: float
    sd_h: float
    median_h: float
    p90_h: float
    median_ci: tuple[float, float]

    def frozen(self) -> Any:
        """The fitted distribution as a frozen scipy distribution (hours)."""
        p = self.params
        if self.family == "lognormal":
            return stats.lognorm(p["sigma"], scale=math.exp(p["mu"]))
        if self.family == "weibull":
            return stats.weibull_min(p["shape"], scale=p["scale_h"])
        return stats.gamma(p["shape"], scale=p["scale_h"])

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``fit.json``."""
        return {"family": self.family, "params": self.params, "aic": self.aic,
                "mean_h": self.mean_h, "sd_h": self.sd_h, "median_h": self.median_h,
                "p90_h": self.p90_h, "median_ci_h": list(self.median_ci)}


def _nll(family: str, theta: np.ndarray, x: np.ndarray, e: np.ndarray,
         w: np.ndarray | None = None) -> float:
    if family == "lognormal":
        mu, s = theta[0], math.exp(theta[1])
        lx = np.log(x)
        z = (lx - mu) / s
        logf = -0.5 * z * z - lx - math.log(s * math.sqrt(2.0 * math.pi))
        logs = special.log_ndtr(-z)
    elif family == "weibull":
        k, lam = math.exp(theta[0]), math.exp(theta[1])
        with np.errstate(over="ignore"):
            r = (x / lam) ** k
        logf = math.log(k / lam) + (k - 1) * np.log(x / lam) - r
        logs = -r
    else:
        a, scale = math.exp(theta[0]), math.exp(theta[1])
        logf = (a - 1.0) * np.log(x) - x / scale - special.gammaln(a) - a * math.log(scale)
        logs = np.log(np.maximum(special.gammaincc(a, x / scale), 1e-300))
    if w is None:
        total = float(logf[e].sum() + logs[~e].sum())
    else:
        total = float((w[e] * logf[e]).sum() + (w[~e] * logs[~e]).sum())
    return -total if math.isfinite(total) else 1e300


def fit_parametric(
    durations: np.ndarray, observed: np.ndarray, family: str
) -> ParametricFit | None:
    """Maximum-likelihood fit with right-censoring; None without two observed closures.

    Args:
        durations: Hours from created to closed (or to the censoring time).
        observed: False where the duration is censored.
        family: ``lognormal``, ``weibull`` or ``gamma``.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return _fit(durations, observed, family)


def _fit(durations: np.ndarray, observed: np.ndarray, family: str) -> ParametricFit | None:
    x = np.maximum(np.asarray(durations, dtype=float), _FLOOR_H)
    e = np.asarray(observed, dtype=bool)
    if e.sum() < 2:
        return None
    lx = np.log(x[e])
    m, s = float(lx.mean()), max(float(lx.std()), 0.1)
    start = {"lognormal": [m, math.log(s)], "weibull": [0.0, m],
             "gamma": [0.0, m]}[family]
    # ties (times to the minute, closures at creation) are fitted once with their count
    pairs, w = np.unique(np.column_stack([x, e]), axis=0, return_counts=True)
    ux, ue, uw = pairs[:, 0], pairs[:, 1].astype(bool), w.astype(float)
    res = optimize.minimize(lambda t: _nll(family, t, ux, ue, uw), np.array(start),
                            method="Nelder-Mead",
                            options={"xatol": 1e-4, "fatol": 1e-3, "maxiter": 600})
    theta = np.asarray(res.x, dtype=float)
    if family == "lognormal":
        mu, sig = float(theta[0]), float(math.exp(theta[1]))
        dist = stats.lognorm(sig, scale=math.exp(mu))
        params = {"mu": mu, "sigma": sig}
    elif family == "weibull":
        k, lam = float(math.exp(theta[0])), float(math.exp(theta[1]))
        dist = stats.weibull_min(k, scale=lam)
        params = {"shape": k, "scale_h": lam}
    else:
        a, sc = float(math.exp(theta[0])), float(math.exp(theta[1]))
        dist = stats.gamma(a, scale=sc)
        params = {"shape": a, "scale_h": sc}
    ci = _median_ci(family, theta, ux, ue, uw, float(dist.median()))
    mean, sd = float(dist.mean()), float(dist.std())
    return ParametricFit(family, params, 2 * 2 + 2 * float(res.fun), mean, sd,
                         float(dist.median()), float(dist.ppf(0.9)), ci)


def _median_ci(family: str, theta: np.ndarray, x: np.ndarray, e: np.ndarray, w: np.ndarray,
               median: float) -> tuple[float, float]:
    """95% interval of the median from the observed information (delta method on log scale)."""
    h = 1e-4
    f0 = _nll(family, theta, x, e, w)
    hess = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            ti = np.eye(2)[i] * h
            tj = np.eye(2)[j] * h
            hess[i, j] = (_nll(family, theta + ti + tj, x, e, w)
                          - _nll(family, theta + ti, x, e, w)
                          - _nll(family, theta + tj, x, e, w) + f0) / h**2
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return (math.nan, math.nan)

    def log_median(t: np.ndarray) -> float:
        if family == "lognormal":
            return float(t[0])
        if family == "weibull":
            return float(t[1] + math.log(math.log(2.0)) / math.exp(t[0]))
        return float(t[1] + math.log(stats.gamma.median(math.exp(t[0]))))

    grad = np.array([(log_median(theta + np.eye(2)[i] * h) - log_median(theta)) / h
                     for i in range(2)])
    var = float(grad @ cov @ grad)
    if not math.isfinite(var) or var < 0:
        return (math.nan, math.nan)
    half = _Z * math.sqrt(var)
    return (median * math.exp(-half), median * math.exp(half))


def spliced_points(km: KaplanMeier, tail: ParametricFit | None, n: int = 200) -> np.ndarray:
    """``n`` equal-probability times (hours): Kaplan–Meier within the follow-up, the fit beyond.

    Point ``i`` is the ``(i + 0.5) / n`` quantile. Where the Kaplan–Meier curve never falls
    that low (the request would close after the log's follow-up), the quantile comes from the
    parametric fit conditioned on being still open at the last observed closure.
    """
    u = (np.arange(n) + 0.5) / n
    out = np.empty(n)
    last_t = float(km.times[-1]) if km.times.size else 0.0
    last_s = float(km.survival[-1]) if km.times.size else 1.0
    for i, q in enumerate(u):
        hit = np.nonzero(km.survival <= 1.0 - q + 1e-12)[0]
        if hit.size:
            out[i] = km.times[hit[0]]
            continue
        if tail is None or last_s <= 0:
            out[i] = last_t
            continue
        dist = tail.frozen()
        beyond = float(dist.sf(last_t)) * (1.0 - q) / last_s
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            t = float(dist.isf(beyond)) if beyond > 0 else math.inf
        out[i] = max(t, last_t) if math.isfinite(t) else last_t
    return out
