"""Overview: what the twin models, the life cycle with its levers, how to use the pages."""

from __future__ import annotations

from importlib.resources import files

import streamlit as st

from gridtwin.viz.levers import lifecycle_dot

content = files("gridtwin.viz").joinpath("content")
st.markdown(content.joinpath("overview.md").read_text(encoding="utf-8"))
st.markdown(content.joinpath("lifecycle.md").read_text(encoding="utf-8"))
st.graphviz_chart(lifecycle_dot(), width="stretch")
st.markdown(content.joinpath("howto.md").read_text(encoding="utf-8"))
