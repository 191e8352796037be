"""Scenario: choose a source, edit the levers by life-cycle stage, see every problem."""

from __future__ import annotations

import hashlib

import streamlit as st

from gridtwin.scenarios.checks import Problem
from gridtwin.viz import state
from gridtwin.viz.data import (
    MAX_UPLOAD_BYTES,
    RunFolderError,
    Source,
    builtin_choices,
    scenario_yaml,
    source_from_upload,
)
from gridtwin.viz.levers import (
    STAGE_TITLES,
    Lever,
    LeverKind,
    grouped,
    levers_for,
    override_for,
    widget_default,
)

st.title("Scenario")

# ----------------------------------------------------------------------------------- source
current = state.source()
kinds = {"builtin": "Built-in scenario", "upload": "Upload a YAML file", "run_dir": "Run folder"}
kind = st.radio(
    "Start from",
    list(kinds),
    format_func=kinds.get,
    index=list(kinds).index(current.kind),
    horizontal=True,
    key="source_kind",
)
refused: Problem | None = None
if kind == "builtin":
    names = builtin_choices()
    name = st.selectbox(
        "Built-in scenario",
        names,
        index=names.index(current.name) if current.kind == "builtin" else 0,
        help="`street` is one street of the reference district and runs in seconds; "
        "`district` is the whole district (about a million cases a year).",
    )
    state.set_source(Source.builtin(name))
elif kind == "upload":
    upload = st.file_uploader(
        f"Scenario file (YAML, up to {MAX_UPLOAD_BYTES // 1000:,} kB)",
        type=["yaml", "yml"],
        max_upload_size=1,
        help="Read with yaml.safe_load and validated like `gridtwin validate FILE`.",
    )
    if upload is not None:
        got = source_from_upload(upload.name, upload.getvalue(), state.upload_dir())
        if isinstance(got, Problem):
            refused = got
        else:
            state.set_source(got)
    elif current.kind != "upload":
        st.info("Choose a file to upload.")
        st.stop()
else:
    folder = st.text_input(
        "Run folder",
        value=current.name if current.kind == "run_dir" else "",
        placeholder="runs/base",
        help="A folder written by `gridtwin run ... --out DIR`: it is added to the run history "
        "and its scenario loaded here.",
    )
    if st.button("Open the run folder", disabled=not folder):
        try:
            state.history().add(state.open_folder(folder))
            state.set_source(Source.run_dir(folder))
            st.success(f"Opened {folder}: it is on show on the Run, Map and Dynamics pages.")
        except RunFolderError as exc:
            st.error(str(exc))
    if state.source().kind != "run_dir":
        st.stop()

if refused is not None:
    state.problem_list([refused], "The uploaded file")
    st.button("Run this scenario", disabled=True, key="run_scenario")
    st.stop()

src = state.source()
st.caption(f"Editing the {src.label}.")
base, problems = state.load_cached(src)
if base is None:
    state.problem_list(problems)
    st.button("Run this scenario", disabled=True, key="run_scenario")
    st.stop()
if base.description:
    st.markdown(f"> {base.description.strip()}")

# ----------------------------------------------------------------------------------- levers
values = base.model_dump(mode="json", by_alias=True)
levers = levers_for(values)
lever_paths = {lever.path for lever in levers}
edits = state.overrides()
token = hashlib.sha256(repr(src).encode()).hexdigest()[:8]  # new source, fresh widgets


def widget(lever: Lever) -> object:
    """One labelled widget (unit in the label, help on hover) returning its value."""
    default = widget_default(lever, values, edits)
    key = f"{lever.key}@{token}"
    if lever.kind is LeverKind.BOOL:
        return st.toggle(lever.title, value=default, help=lever.help, key=key)
    if lever.kind is LeverKind.CHOICE:
        return st.selectbox(
            lever.title,
            lever.choices,
            index=lever.choices.index(default),
            help=lever.help,
            key=key,
        )
    if lever.kind is LeverKind.SHARE:
        return st.slider(
            lever.title, 0.0, 1.0, float(default), step=lever.step, help=lever.help, key=key
        )
    if lever.kind is LeverKind.FLOAT:
        return st.number_input(
            lever.title,
            min_value=lever.low,
            max_value=lever.high,
            value=float(default),
            step=lever.step,
            help=lever.help,
            key=key,
        )
    return st.number_input(
        lever.title,
        min_value=int(lever.low) if lever.low is not None else None,
        max_value=int(lever.high) if lever.high is not None else None,
        value=int(default),
        step=1,
        help=lever.help,
        key=key,
    )


st.subheader("Levers, by the stage of the life cycle they act on")
groups = grouped(levers)
chosen: list[str] = []
for tab, members in zip(st.tabs([STAGE_TITLES[s] for s in groups]), groups.values(), strict=True):
    with tab:
        columns = st.columns(2)
        for i, lever in enumerate(members):
            with columns[i % 2]:
                item = override_for(lever, widget(lever), values)
            if item is not None:
                chosen.append(item)

other = [e for e in edits if e.partition("=")[0].strip() not in lever_paths]
text = st.text_area(
    "Other changes (one `dotted.path=value` per line, as `gridtwin run --set`)",
    value="\n".join(other),
    help="Any scenario field, e.g. `services.case_types.noise.clarity=0.5`.",
    key=f"other@{token}",
)
chosen += [line.strip() for line in text.splitlines() if line.strip()]
state.set_overrides(chosen)

# ------------------------------------------------------------------------------- validation
edited, problems = state.edited_scenario()
if chosen:
    st.markdown("**Changes against the source:** " + ", ".join(f"`{c}`" for c in chosen))
if problems:
    state.problem_list(problems)
else:
    st.success("The scenario is valid.")
left, right = st.columns(2)
if left.button("Run this scenario", type="primary", disabled=bool(problems), key="run_scenario"):
    st.session_state["run_requested"] = True
    st.switch_page("views/run.py")
if edited is not None:
    right.download_button(
        "Download the edited scenario (YAML)",
        scenario_yaml(edited),
        file_name=f"{edited.name}-edited.yaml",
        mime="application/x-yaml",
        on_click="ignore",
    )
