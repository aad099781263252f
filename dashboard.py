"""medcore dashboard: ``streamlit run dashboard.py``.

Entry point only: page configuration and navigation. Each page lives in ``pages/``.
"""
from __future__ import annotations

import streamlit as st

# An emoji icon: Streamlit draws it in the page (an inline SVG); a ":material/...:" favicon is
# fetched from fonts.gstatic.com, a request that would leave the dashboard's host.
st.set_page_config(page_title="medcore", page_icon="🩺", layout="wide")


def home() -> None:
    from ui.home import render

    render()


navigation = st.navigation([
    st.Page(home, title="Home", icon=":material/home:", default=True, url_path="home"),
    st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:"),
    st.Page("pages/diagnosis.py", title="Diagnosis", icon=":material/diagnosis:"),
    st.Page("pages/survival.py", title="Survival", icon=":material/timeline:"),
    st.Page("pages/explanation.py", title="Explanation", icon=":material/psychology:"),
])
navigation.run()
