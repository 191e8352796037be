"""The viewer's entry point: ``gridtwin viewer`` runs ``streamlit run`` on this file.

It only sets up the page menu and the URL. Each page lives in ``views/`` (a ``pages/`` folder
would be listed by Streamlit on its own) and lays out what the plain modules of
:mod:`gridtwin.viz` compute.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from gridtwin.viz import state

HERE = Path(__file__).parent

st.set_page_config(page_title="gridtwin viewer", page_icon="🏙️", layout="wide")
pages = {
    url: st.Page(HERE / file, title=title, url_path=url, default=url == "overview")
    for url, title, file in state.PAGES
}
navigation = st.navigation(list(pages.values()))
wanted = state.start_session()
if wanted is not None and wanted != navigation.url_path:
    st.switch_page(pages[wanted])
state.write_query(navigation.url_path or "overview")
if "open_error" in st.session_state:
    st.error(st.session_state.pop("open_error"))
navigation.run()
