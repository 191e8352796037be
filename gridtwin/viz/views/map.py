"""Map: the city's cells coloured by a per-cell figure, with halls, kiosks and sensor alarms."""

from __future__ import annotations

import streamlit as st

from gridtwin.viz import state
from gridtwin.viz.mapview import FIGURES, SITE_COLOURS, cell_frame, deck, sites_frame

st.title("Map")
shown = state.require_run()
figure = st.selectbox(
    "Colour the cells by",
    FIGURES,
    format_func=lambda f: f.label,
    help="Per community, cases that arose after the warm-up; the mean over the replications.",
)
city = state.city(shown.scenario)
cells = cell_frame(city, shown.results, figure)
sites = sites_frame(city, shown.scenario, shown.results[0])
st.caption(
    f"{shown.label}: {city.n_communities} communities in {len(city.grid_ids)} grids; "
    f"{figure.label.lower()} from pale (low) to dark red (high). Hover a cell for its figures."
)
st.pydeck_chart(deck(cells, sites), height=520, key="city_map")
legend = " · ".join(
    f"<span style='color: rgb({c[0]},{c[1]},{c[2]})'>●</span> {kind}"
    for kind, c in SITE_COLOURS.items()
)
st.markdown(legend, unsafe_allow_html=True)
st.caption(
    "Halls and kiosk sites are placed as the engine places them; sensor and water-meter "
    "alarms mark the communities where one raised a case in the first replication."
)
st.subheader("Figures per cell")
table = shown.per_replication(lambda r: r.cells)
st.dataframe(table, hide_index=True)
state.download_csv("the figures per cell and replication", table, "cells", shown)
