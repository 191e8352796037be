"""Experiments: open a results store, browse its runs, outcomes against levers, the report."""

from __future__ import annotations

import os

import plotly.express as px
import streamlit as st

from gridtwin.experiments.store import StoreError
from gridtwin.viz import state
from gridtwin.viz.cli import STORE_ENV
from gridtwin.viz.stores import find_stores, open_store, outcome_by_lever, policy_labels

st.title("Experiments")
st.caption(
    "A results store written by `gridtwin experiment run` (a `.duckdb` file): its runs, each "
    "outcome against a lever with 95% intervals, paired comparisons with the baseline under "
    "common random numbers, robustness across futures and sensitivity indices."
)
found = [str(p) for p in find_stores()]
opened = os.environ.get(STORE_ENV)
default = opened or (found[0] if found else "")
path = st.text_input(
    "Results store",
    value=st.session_state.get("store_path", default),
    key="store_path",
    help="The .duckdb file of an experiment; stores under runs/ are listed below.",
)
if found:
    st.caption("Stores found here: " + ", ".join(f"`{p}`" for p in found[:8]))
baseline = st.text_input(
    "Baseline",
    key="store_baseline",
    placeholder="the experiment's own baseline",
    help="A design point number, or lever values such as channels.hotline.seats=2.",
)
if not path:
    st.info("Give the path of a results store (run `gridtwin experiment run staffing-demo`).")
    st.stop()
try:
    view = open_store(path, baseline.strip() or None)
except StoreError as exc:
    st.error(str(exc))
    st.stop()

a = view.analysis
labels = policy_labels(view)
st.subheader(f"{a.name}: {a.runs} runs ({a.failed} failed)")
st.markdown(f"Baseline: **{labels.get(a.baseline, a.baseline)}** (policy {a.baseline}).")

left, right = st.columns(2)
outcome = left.selectbox("Outcome", view.outcomes, key="store_outcome")
lever = (
    right.selectbox("Against the lever", view.levers, key="store_lever") if view.levers else None
)
if lever is not None:
    frame = outcome_by_lever(view, outcome, lever)
    chart = px.scatter(
        frame,
        x=lever,
        y="mean",
        color="label",
        error_y=frame["high"] - frame["mean"],
        error_y_minus=frame["mean"] - frame["low"],
        labels={"mean": outcome, "label": "policy"},
        template="plotly_white",
    )
    chart.update_traces(marker={"size": 11})
    st.plotly_chart(chart, key="outcome_by_lever")
    st.caption(
        f"Mean of {outcome} over every replication and future of each policy, with its 95% "
        "interval."
    )

st.subheader("Paired with the baseline (same futures, same random numbers)")
paired = a.paired[a.paired["outcome"] == outcome].assign(policy=lambda d: d["policy"].map(labels))
st.dataframe(paired, hide_index=True)
st.subheader("Robustness across futures")
robust = a.robustness[a.robustness["outcome"] == outcome].assign(
    policy=lambda d: d["policy"].map(labels)
)
st.dataframe(robust, hide_index=True)
if a.sensitivity is not None and not a.sensitivity.empty:
    st.subheader(f"Sensitivity ({a.experiment.design.method})")
    sens = a.sensitivity[a.sensitivity["outcome"] == outcome]
    st.dataframe(sens, hide_index=True)
    measure = "ST" if "ST" in sens.columns else "mu_star"
    st.plotly_chart(
        px.bar(sens, x="factor", y=measure, error_y=f"{measure}_conf", template="plotly_white"),
        key="sensitivity_chart",
    )

st.subheader("Runs")
status = st.multiselect("Status", ["succeeded", "failed"], default=["succeeded", "failed"])
runs = view.runs[view.runs["status"].isin(status)]
st.dataframe(runs, hide_index=True)
state.download_csv("the runs of this store", runs, "experiment-runs", None)
with st.expander("The report", expanded=False):
    st.markdown(view.report())
