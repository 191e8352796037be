"""Compare: policies with the same seeds, paired differences with intervals, who wins."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gridtwin.viz import state
from gridtwin.viz.cards import CARDS
from gridtwin.viz.compare import (
    comparable_keys,
    difference_chart,
    differences,
    distribution_chart,
    distribution_frame,
    pairing_problem,
    wins_table,
)
from gridtwin.viz.data import Source, run_batch, scenario_yaml

st.title("Compare policies")
history = state.history()
base = history.pinned()
if base is None:
    state.need_run()
    st.stop()

with st.expander("Add a policy: the baseline with some changes, same seeds", expanded=False):
    text = st.text_area(
        "Changes (one `dotted.path=value` per line)",
        placeholder="policies.dispatch_accuracy=0.6",
        key="policy_changes",
        help="Run on the pinned baseline's scenario with its seeds and replications, so the "
        "two pair up by seed.",
    )
    items = [line.strip() for line in text.splitlines() if line.strip()]
    base_file = state.upload_dir() / f"baseline-{base.sha256[:16]}.yaml"
    if not base_file.exists():
        base_file.write_text(scenario_yaml(base.scenario), encoding="utf-8")
    policy, problems = state.load_cached(Source("upload", "the baseline", base_file), items)
    if items and problems:
        state.problem_list(problems, "This policy")
    if st.button("Run this policy", disabled=not items or bool(problems), key="run_policy"):
        assert policy is not None
        bar = st.progress(0.0, text="starting")
        batch = run_batch(
            policy,
            base.replications,
            label="; ".join(items),
            overrides=items,
            source=f"baseline {base.label}",
            progress=lambda f, t: bar.progress(min(f, 1.0), text=t),
            cache=state.run_cache(),
        )
        history.batches.append(batch)
        st.session_state["compare_pick"] = [
            *st.session_state.get("compare_pick", [history.baseline]),
            len(history.batches) - 1,
        ]

labels = history.labels()
default = [i for i in st.session_state.get("compare_pick", []) if i < len(labels)]
if not default:
    default = list(dict.fromkeys([history.baseline or 0, history.current or 0]))
picked = st.multiselect(
    "Runs to compare (the first is the baseline)",
    range(len(labels)),
    default=default,
    format_func=lambda i: labels[i],
)
st.session_state["compare_pick"] = picked
batches = [history.batches[i] for i in picked]
why = pairing_problem(batches)
if why is not None:
    st.warning(f"Cannot pair these runs: {why}.")
    st.stop()

keys_all = comparable_keys(batches)
card_keys = [c.key for c in CARDS if c.key in keys_all]
keys = st.multiselect("Outcomes", keys_all, default=card_keys, key="compare_keys")
diffs = differences(batches, keys)
st.subheader("Who wins on which outcome")
st.caption(
    "A policy wins an outcome when its paired 95% interval lies wholly on the good side of "
    "zero; otherwise there is no clear difference at this number of replications."
)
st.dataframe(wins_table(diffs), hide_index=True)
st.plotly_chart(difference_chart(diffs), key="diff_chart")
st.subheader("Paired differences")
table = pd.DataFrame([d.row() for d in diffs])
st.dataframe(table, hide_index=True)
per_rep = pd.concat(
    [
        pd.DataFrame(b.kpi_rows())[
            ["run", "replication", "seed", "scenario_sha256", "gridtwin_version", *keys]
        ]
        for b in batches
    ],
    ignore_index=True,
)
state.download_csv(
    "the compared KPIs per replication (behind both tables)",
    per_rep,
    "compare-per-replication",
    None,
)

st.subheader("Distribution across replications")
key = st.selectbox("KPI", keys_all, index=keys_all.index(keys[0]) if keys else 0, key="dist_key")
frame = distribution_frame(batches, key)
st.plotly_chart(distribution_chart(frame, key), key="dist_chart")
state.download_csv(f"{key} per replication", frame, f"distribution-{key}", None)
