"""The Dynamics page's data: a run's stored hourly series, windowed and as hour-of-week grids.

Everything is read from ``timeseries.parquet`` (:func:`~gridtwin.sim.timeseries.hourly_series`),
never re-run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa

from gridtwin.scenarios.calendar import WEEKDAYS

__all__ = ["SERIES", "heatmap", "hour_of_week", "line_chart", "series_keys", "window"]

SERIES = {
    "arrivals": "Arrivals per hour by channel",
    "queue": "Queue length (mean waiting in the hour)",
    "backlog": "Backlog (open cases at the end of the hour)",
    "utilisation": "Staff utilisation (busy ÷ on duty)",
}
"""The stored series and how the page names them."""


def _frame(timeseries: pa.Table) -> pd.DataFrame:
    frame = timeseries.to_pandas()
    frame["series"] = frame["series"].astype(str)
    frame["key"] = frame["key"].astype(str)
    return frame


def series_keys(timeseries: pa.Table, series: str) -> list[str]:
    """The keys (channels, departments, ``all``) a series has, in stored order."""
    frame = _frame(timeseries)
    return list(dict.fromkeys(frame.loc[frame["series"] == series, "key"]))


def window(
    timeseries: pa.Table, series: str, days: tuple[float, float], keys: list[str] | None = None
) -> pd.DataFrame:
    """One series between two days (day 0 = the start) as a wide table: a column per key.

    The index is the hour from the start; a ``day`` column gives it in days.
    """
    frame = _frame(timeseries)
    frame = frame[frame["series"] == series]
    if keys is not None:
        frame = frame[frame["key"].isin(keys)]
    lo, hi = days[0] * 24, days[1] * 24
    frame = frame[(frame["hour"] >= lo) & (frame["hour"] < hi)]
    wide = frame.pivot_table(index="hour", columns="key", values="value", aggfunc="first")
    wide = wide.reindex(columns=[k for k in dict.fromkeys(frame["key"]) if k in wide.columns])
    wide.insert(0, "day", wide.index / 24.0)
    return wide


def hour_of_week(
    timeseries: pa.Table, series: str, key: str, skip_days: float = 0.0
) -> pd.DataFrame:
    """Mean of one series by weekday (rows, Monday first) and hour of day (columns).

    Args:
        timeseries: The run's hourly series.
        series: ``arrivals``, ``queue``, ``backlog`` or ``utilisation``.
        key: A channel, department or ``all``.
        skip_days: Leading days left out (the warm-up).
    """
    frame = _frame(timeseries)
    rows = frame[(frame["series"] == series) & (frame["key"] == key)]
    rows = rows[rows["hour"] >= skip_days * 24]
    hour = rows["hour"].to_numpy()
    grid = (
        pd.DataFrame(
            {
                "weekday": (hour // 24) % 7,
                "hour": hour % 24,
                "value": rows["value"].to_numpy(dtype=float),
            }
        )
        .groupby(["weekday", "hour"])["value"]
        .mean()
        .unstack("hour")
        .reindex(index=range(7), columns=range(24))
    )
    grid.index = [d.title() for d in WEEKDAYS]
    return grid


def line_chart(wide: pd.DataFrame, title: str, y_title: str) -> go.Figure:
    """A line per key against days, on a blank template (nothing fetched)."""
    fig = go.Figure()
    for key in wide.columns:
        if key == "day":
            continue
        fig.add_trace(go.Scatter(x=wide["day"], y=wide[key], mode="lines", name=str(key)))
    fig.update_layout(
        title=title,
        xaxis_title="day of the run",
        yaxis_title=y_title,
        template="plotly_white",
        height=360,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def heatmap(grid: pd.DataFrame, title: str) -> go.Figure:
    """An hour-of-week heatmap."""
    fig = go.Figure(
        go.Heatmap(
            z=np.asarray(grid.to_numpy(dtype=float)),
            x=[f"{h:02d}" for h in grid.columns],
            y=list(grid.index),
            colorscale="YlOrRd",
            hoverongaps=False,
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="hour of day",
        template="plotly_white",
        height=300,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        yaxis={"autorange": "reversed"},
    )
    return fig
