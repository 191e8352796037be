"""Run: replications with progress and cancel, KPI cards with intervals, the run history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gridtwin.scenarios.loader import ScenarioError
from gridtwin.viz import state
from gridtwin.viz.cards import cards, growth_warnings
from gridtwin.viz.data import RunCancelled, run_batch, size_check

st.title("Run")
src = state.source()
base, _ = state.load_cached(src)
seed, days, reps = state.run_settings(base)

c1, c2, c3 = st.columns(3)
st.session_state["run_seed"] = c1.number_input(
    "Seed", min_value=0, value=seed, step=1, help="Replication r runs with seed + r."
)
st.session_state["run_days"] = c2.number_input(
    "Days to simulate (days)",
    min_value=1.0,
    max_value=400.0,
    value=float(days),
    step=1.0,
    help="The warm-up is dropped if the run is not longer than it.",
)
st.session_state["run_reps"] = c3.number_input(
    "Replications",
    min_value=1,
    max_value=50,
    value=reps,
    step=1,
    help="Independent runs with consecutive seeds: the cards show their mean and 95% CI.",
)
scenario, problems = state.edited_scenario()
edits = state.overrides()
st.caption(
    f"{src.label}"
    + (
        f" with {len(edits)} change(s): " + ", ".join(f"`{e}`" for e in edits)
        if edits
        else ", as it is"
    )
)
if scenario is not None:
    size, too_large = size_check(scenario)
    st.caption(f"Each replication: {size}.")
    if too_large is not None:
        problems = [too_large]
if problems:
    state.problem_list(problems)

left, right = st.columns([1, 1])
clicked = left.button("Run", type="primary", disabled=bool(problems), key="run")
cancel = right.button("Cancel", key="cancel", help="Stops a run in progress.")
requested = st.session_state.pop("run_requested", False)
if cancel:
    st.warning("Run cancelled: nothing was added to the history.")
elif (clicked or requested) and scenario is not None:
    bar = st.progress(0.0, text="starting")
    label = f"{scenario.name}" + (f" [{'; '.join(edits)}]" if edits else "")
    try:
        batch = run_batch(
            scenario,
            int(st.session_state["run_reps"]),
            label=f"{label} seed {scenario.run.seed}",
            overrides=edits,
            source=src.label,
            progress=lambda fraction, text: bar.progress(min(fraction, 1.0), text=text),
            cache=state.run_cache(),
        )
    except RunCancelled as exc:
        st.warning(f"Run {exc}.")
    except ScenarioError as exc:  # the engine refused it (a size it would not fit)
        state.problem_list(exc.problems, "This run")
    else:
        state.history().add(batch)
        how = "served from the cache" if batch.wall_seconds == 0 else f"{batch.wall_seconds:.1f} s"
        bar.progress(1.0, text=f"done: {batch.replications} replication(s), {how}")

history = state.history()
shown = history.shown()
if shown is None:
    st.info("Press **Run** to simulate; the KPI cards appear here.")
    st.stop()

# ------------------------------------------------------------------------------------ cards
baseline = history.pinned()
st.subheader(f"KPIs: {shown.label}")
st.caption(
    f"Mean over {shown.replications} replication(s), seeds {list(shown.seeds)}; scenario "
    f"hash `{shown.sha256[:12]}`. "
    + (
        "Deltas against the pinned baseline"
        + (" (paired by seed)." if baseline.seeds == shown.seeds else " (different seeds).")
        if baseline is not None and baseline is not shown
        else "This run is the pinned baseline."
    )
)
grid = st.columns(4)
for i, card in enumerate(cards(shown, baseline if baseline is not shown else None)):
    with grid[i % 4]:
        st.metric(
            card.spec.label,
            card.value_text,
            delta=card.delta_text,
            delta_color=card.delta_color,  # type: ignore[arg-type]
            border=True,
        )
        st.caption(card.ci_text)

warm = float(shown.results[0].kpis.get("warmup_days") or 0.0)
seen: dict[tuple[str, str], str] = {}
for result in shown.results:
    for growth in growth_warnings(result.timeseries, warm):
        seen.setdefault((growth.series, growth.key), growth.text)
for text in seen.values():
    st.warning(text)

# ---------------------------------------------------------------------------------- history
st.subheader("Run history")
labels = history.labels()
pick = st.selectbox(
    "Run on show (on every page)",
    range(len(labels)),
    index=history.current or 0,
    format_func=lambda i: labels[i] + (" — baseline" if i == history.baseline else ""),
)
if pick != history.current:
    history.current = pick
    st.rerun()
if st.button("Pin this run as the baseline", disabled=history.baseline == history.current):
    history.pin(int(pick))
    st.rerun()
st.dataframe(
    pd.DataFrame(
        {
            "run": [f"#{i + 1}" for i in range(len(history.batches))],
            "label": [b.label for b in history.batches],
            "replications": [b.replications for b in history.batches],
            "seeds": [str(list(b.seeds)) for b in history.batches],
            "scenario_sha256": [b.sha256 for b in history.batches],
            "baseline": [i == history.baseline for i in range(len(history.batches))],
        }
    ),
    hide_index=True,
)
every = pd.concat([pd.DataFrame(b.kpi_rows()) for b in history.batches], ignore_index=True)
state.download_csv("every run's KPIs per replication", every, "history-per-replication", None)

st.subheader("KPIs per replication")
rows = pd.DataFrame(shown.kpi_rows())
st.dataframe(rows, hide_index=True)
state.download_csv("the KPIs per replication", rows, "kpis-per-replication", shown)
