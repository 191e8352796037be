"""KPI cards with confidence intervals and deltas, and the warning for queues without bound.

Formatting comes from :mod:`gridtwin.kpiformat` (as the command line's tables), intervals from
:mod:`gridtwin.experiments.stats` (as every comparison of replications).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats as sps

from gridtwin.experiments.stats import Interval, mean_ci, paired_ci
from gridtwin.kpiformat import format_difference, format_value, is_share
from gridtwin.viz.data import Batch

__all__ = [
    "CARDS",
    "Better",
    "Card",
    "CardSpec",
    "Growth",
    "better_of",
    "cards",
    "growth_warnings",
]


class Better(StrEnum):
    """Which direction of an outcome is good."""

    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"
    """Volumes and utilisation: a change is neither good nor bad in itself."""


@dataclass(frozen=True, slots=True)
class CardSpec:
    """One KPI card."""

    key: str
    label: str
    better: Better


CARDS = (
    CardSpec("response_rate", "Response rate (响应率)", Better.HIGHER),
    CardSpec("resolution_rate", "Resolution rate (解决率)", Better.HIGHER),
    CardSpec("satisfaction_rate", "Satisfaction rate (满意率)", Better.HIGHER),
    CardSpec("mean_time_to_close_h", "Time to close", Better.LOWER),
    CardSpec("mean_time_to_complete_h", "Time to complete (resident's view)", Better.LOWER),
    CardSpec("trips_per_case_mean", "Trips per application (跑腿)", Better.LOWER),
    CardSpec("share_at_most_one_trip", "At most one trip (最多跑一次)", Better.HIGHER),
    CardSpec("hotline_mean_wait_s", "Hotline wait", Better.LOWER),
    CardSpec("hotline_abandon_rate", "Hotline abandonment", Better.LOWER),
    CardSpec("window_mean_wait_min", "Window wait", Better.LOWER),
    CardSpec("misrouted_share", "Misrouted (退单)", Better.LOWER),
)
"""The cards of the Run page, in order."""

_LOWER = ("_h", "_s", "_min", "_mean", "abandon_rate", "misrouted_share", "open_at_end")
_NEITHER = ("utilisation_", "cases_by_", "cases_total", "hotline_calls", "online_share")


def better_of(key: str) -> Better:
    """Whether more of a KPI is better: rates up, times and waits down, volumes neither."""
    leaf = key.split(".")[-1]
    if key.startswith(_NEITHER) or leaf == "cases":
        return Better.NEITHER
    for spec in CARDS:
        if spec.key == leaf:
            return spec.better
    if leaf.endswith(_LOWER) or "closed_unresolved" in leaf or "abandoned" in leaf:
        return Better.LOWER
    return Better.HIGHER


@dataclass(frozen=True, slots=True)
class Card:
    """A KPI card's figures: the mean over replications, its interval, the delta."""

    spec: CardSpec
    interval: Interval
    delta: Interval | None
    """Against the pinned baseline (paired when both share their seeds)."""
    paired: bool

    @property
    def value_text(self) -> str:
        """The mean, formatted with its unit."""
        if math.isnan(self.interval.mean):
            return "-"
        return format_value(self.spec.key, self.interval.mean)

    @property
    def ci_text(self) -> str:
        """``95% CI low – high`` (or why there is none)."""
        iv = self.interval
        if iv.n < 2 or math.isnan(iv.low):
            return "one replication: no interval" if iv.n == 1 else "no data"
        # every card is a count, a time or a share: the interval is shown within its range
        low = max(iv.low, 0.0)
        high = min(iv.high, 1.0) if is_share(self.spec.key) else iv.high
        lo, hi = format_value(self.spec.key, low), format_value(self.spec.key, high)
        return f"{iv.level:.0%} CI {lo} – {hi}"

    @property
    def delta_text(self) -> str | None:
        """The change against the baseline (with its interval when there is one)."""
        d = self.delta
        if d is None or math.isnan(d.mean):
            return None
        text = format_difference(self.spec.key, 0.0, d.mean)
        if d.n >= 2 and not math.isnan(d.low):
            half = d.half_width * (100 if is_share(self.spec.key) else 1)
            unit = " pp" if is_share(self.spec.key) else ""
            text += f" ± {half:.2g}{unit}"
        return text

    @property
    def delta_color(self) -> str:
        """Streamlit's ``delta_color``: green is good whichever way the KPI points."""
        return "normal" if self.spec.better is Better.HIGHER else "inverse"


def cards(batch: Batch, baseline: Batch | None = None) -> list[Card]:
    """The Run page's cards for ``batch``, with deltas against ``baseline`` if given.

    The delta is the paired mean difference when both batches ran the same seeds (common random
    numbers), else the difference of the means (and its interval is left unknown).
    """
    out = []
    paired = baseline is not None and baseline.seeds == batch.seeds
    for spec in CARDS:
        values = batch.values(spec.key)
        delta = None
        if baseline is not None and baseline is not batch:
            base_values = baseline.values(spec.key)
            if paired:
                delta = paired_ci(base_values, values)
            else:
                m = mean_ci(values).mean - mean_ci(base_values).mean
                delta = Interval(m, math.nan, math.nan, 1)
        out.append(Card(spec, mean_ci(values), delta, paired))
    return out


# ------------------------------------------------------------------------------------ growth
@dataclass(frozen=True, slots=True)
class Growth:
    """A queue or backlog that keeps growing over the run."""

    series: str
    key: str
    first: float
    last: float
    first_day: int
    last_day: int

    @property
    def text(self) -> str:
        """The warning in plain words."""
        what = (
            "The backlog of open cases"
            if self.series == "backlog"
            else f"The queue at {self.key.replace('_', ' ')}"
        )
        return (
            f"{what} keeps growing and does not level off: about {self.first:,.1f} on day "
            f"{self.first_day} and {self.last:,.1f} by day {self.last_day}. Demand is larger "
            "than what can be handled, so waits and times to close depend on how long the run "
            "is; a longer run would show them worse."
        )


def _rising(values: np.ndarray) -> bool:
    """Whether a line through ``values`` has a slope above zero with 95% confidence."""
    n = len(values)
    if n < 3 or float(np.ptp(values)) == 0.0:
        return False
    fit = sps.linregress(np.arange(n), values)
    return bool(fit.slope - float(sps.t.ppf(0.975, n - 2)) * fit.stderr > 0)


def _grows(hourly: np.ndarray) -> bool:
    """Whether an hourly series (whole days) rises without levelling off.

    A queue that is merely busy drains now and then; one that grows without bound never does,
    so its floor rises. With two or more whole weeks, each week's lowest value must be above the
    previous week's and the last week's mean at least one and a half times the first's (weeks
    cancel the working-week rhythm). With fewer days both the daily means and the daily lows
    must rise (a line through them with a slope above zero with 95% confidence) and the last
    day's mean be at least twice the first's. Either way the mean must rise by at least one.
    """
    days = hourly.reshape(-1, 24)
    n = len(days)
    if n < 4 or not np.all(np.isfinite(hourly)):
        return False
    if n >= 14:
        weeks = days[: n // 7 * 7].reshape(-1, 7 * 24)
        lows, means = weeks.min(axis=1), weeks.mean(axis=1)
        rising = bool(np.all(lows[1:] > lows[:-1])) and means[-1] >= 1.5 * means[0]
        first, last = float(means[0]), float(means[-1])
    else:
        means, lows = days.mean(axis=1), days.min(axis=1)
        rising = _rising(means) and _rising(lows) and means[-1] >= 2.0 * means[0]
        first, last = float(means[0]), float(means[-1])
    return rising and last - first >= 1.0


def growth_warnings(timeseries: pa.Table, warmup_days: float = 0.0) -> list[Growth]:
    """Queues and the backlog that grow without bound in one run's hourly series.

    Only whole days after the warm-up count.
    """
    out = []
    start_day = int(math.ceil(warmup_days))
    wanted = pc.is_in(timeseries["series"].cast(pa.string()), pa.array(["queue", "backlog"]))
    frame = timeseries.filter(wanted).to_pandas()
    for (series, key), rows in frame.groupby(["series", "key"], observed=True, sort=True):
        values = rows.sort_values("hour")["value"].to_numpy(dtype=float)
        days = len(values) // 24
        if days - start_day < 4:
            continue
        hourly = np.nan_to_num(values[start_day * 24 : days * 24])
        if _grows(hourly):
            daily = hourly.reshape(-1, 24).mean(axis=1)
            first, last = float(daily[0]), float(daily[-1])
            out.append(Growth(str(series), str(key), first, last, start_day + 1, days))
    return out
