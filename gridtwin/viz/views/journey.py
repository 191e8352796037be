"""Case journey (for trainers): one case, stage by stage, with the clock, place and words."""

from __future__ import annotations

import time

import streamlit as st

from gridtwin.sim.trace import STORY_LABELS, Story
from gridtwin.viz import state
from gridtwin.viz.journey import case_journey, case_row, choose_case, steps_frame
from gridtwin.viz.mapview import FIGURES, cell_frame, deck

AUTOPLAY_SECONDS = 3.0

st.title("Case journey")
shown = state.require_run()
rep = state.pick_replication(shown, "journey_rep")
result = shown.results[rep]

c1, c2 = st.columns([2, 1])
story = Story(
    c1.radio("Show me", list(Story), format_func=lambda s: STORY_LABELS[s], key="journey_story")
    or Story.TYPICAL
)
typed = c2.number_input(
    "or case number",
    min_value=0,
    max_value=max(result.cases.num_rows - 1, 0),
    value=None,
    step=1,
    key="journey_typed",
    placeholder="any case id",
)
wanted = int(typed) if typed is not None else choose_case(result, story)
if wanted is None:
    st.info(f"This run has no {STORY_LABELS[story]}; try another or a longer run.")
    st.stop()
if st.session_state.get("journey_case") != (id(result), wanted):
    st.session_state["journey_case"] = (id(result), wanted)
    st.session_state["journey_step"] = 0

stages = case_journey(result, wanted)
row = case_row(result, wanted) or {}
who = f", {row['age_group']} resident" if row.get("age_group") else ""
st.subheader(
    f"Case {wanted}: {row.get('kind')} '{row.get('type')}' in community {row.get('cell')}{who}"
)

b1, b2, b3, _ = st.columns([1, 1, 2, 3])
if b1.button("◀ Previous", key="journey_prev"):
    st.session_state["journey_step"] = max(0, st.session_state["journey_step"] - 1)
if b2.button("Next ▶", key="journey_next"):
    st.session_state["journey_step"] = min(len(stages) - 1, st.session_state["journey_step"] + 1)
autoplay = b3.toggle(f"Autoplay (every {AUTOPLAY_SECONDS:g} s)", key="journey_autoplay")


@st.fragment(run_every=AUTOPLAY_SECONDS if autoplay else None)
def stage_panel() -> None:
    """The stage on show; on autoplay the fragment reruns itself and moves one stage on."""
    now = time.monotonic()
    last = st.session_state.get("journey_tick", 0.0)
    if autoplay and now - last >= AUTOPLAY_SECONDS * 0.9:
        if st.session_state.get("journey_ticked"):
            st.session_state["journey_step"] = (st.session_state["journey_step"] + 1) % len(stages)
        st.session_state["journey_tick"] = now
        st.session_state["journey_ticked"] = True
    elif not autoplay:
        st.session_state["journey_ticked"] = False
    i = st.session_state["journey_step"]
    step = stages[i]
    st.progress(
        (i + 1) / len(stages),
        text=" → ".join(f"**{s.title}**" if j == i else s.title for j, s in enumerate(stages)),
    )
    st.markdown(f"### Stage {i + 1} of {len(stages)}: {step.title}")
    st.markdown(f"**When:** {step.when or '—'}  \n**Who:** {step.who or '—'}")
    st.info(step.sentence)


stage_panel()

st.markdown("**Where:** the case's community, outlined in blue.")
city = state.city(shown.scenario)
cells = cell_frame(city, (result,), FIGURES[0])
st.pydeck_chart(
    deck(cells, highlight=str(row.get("cell")), height=320), height=320, key="journey_map"
)

st.subheader("The whole story")
frame = steps_frame(stages, wanted, result.kpis)
st.dataframe(frame[["title", "when", "who", "what"]], hide_index=True)
state.download_csv("this case's journey", frame, f"case-{wanted}", None)
