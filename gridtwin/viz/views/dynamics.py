"""Dynamics: hourly arrivals, queues, backlog and utilisation from the stored series."""

from __future__ import annotations

import streamlit as st

from gridtwin.viz import state
from gridtwin.viz.dynamics import SERIES, heatmap, hour_of_week, line_chart, series_keys, window

st.title("Dynamics")
shown = state.require_run()
rep = state.pick_replication(shown, "dynamics_rep")
series_table = shown.results[rep].timeseries
horizon = float(shown.results[rep].kpis.get("horizon_days") or 1.0)
warm = float(shown.results[rep].kpis.get("warmup_days") or 0.0)
lo, hi = st.slider(
    "Days shown (day)",
    0.0,
    horizon,
    (0.0, min(horizon, 14.0)),
    step=1.0,
    help="A window of the run; the charts read the stored hourly series (nothing is re-run).",
)
st.caption(f"{shown.label}, replication {rep + 1}: days {lo:g} to {hi:g} of {horizon:g}.")

arrivals = window(
    series_table,
    "arrivals",
    (lo, hi),
    [k for k in series_keys(series_table, "arrivals") if k != "all"],
)
st.plotly_chart(line_chart(arrivals, SERIES["arrivals"], "cases per hour"), key="arrivals")

queue_keys = series_keys(series_table, "queue")
picked = st.multiselect(
    "Queues to show", queue_keys, default=queue_keys[:4], help="Channels and departments."
)
queues = window(series_table, "queue", (lo, hi), picked)
st.plotly_chart(line_chart(queues, SERIES["queue"], "waiting"), key="queues")

left, right = st.columns(2)
with left:
    backlog = window(series_table, "backlog", (lo, hi))
    st.plotly_chart(line_chart(backlog, SERIES["backlog"], "open cases"), key="backlog")
with right:
    util_keys = series_keys(series_table, "utilisation")
    busiest = (
        window(series_table, "utilisation", (0, horizon))
        .drop(columns="day")
        .mean()
        .sort_values(ascending=False)
        .index[:3]
        .tolist()
    )
    shown_util = st.multiselect("Utilisation of", util_keys, default=busiest, key="util_keys")
    util = window(series_table, "utilisation", (lo, hi), shown_util)
    st.plotly_chart(line_chart(util, SERIES["utilisation"], "share of time busy"), key="util")

st.subheader("Hour of the week")
c1, c2 = st.columns(2)
series = (
    c1.selectbox("Series", list(SERIES), format_func=lambda s: SERIES[s], key="heat_series")
    or "arrivals"
)
keys = series_keys(series_table, series)
key = c2.selectbox("Of", keys, key="heat_key") or keys[0]
grid = hour_of_week(series_table, series, key, skip_days=warm)
st.plotly_chart(heatmap(grid, f"{SERIES[series]}: {key}, mean by hour of the week"), key="heat")

table = shown.per_replication(lambda r: r.timeseries)
state.download_csv("the hourly series of every replication", table, "timeseries", shown)
