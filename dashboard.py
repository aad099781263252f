"""medcore dashboard: ``streamlit run dashboard.py``.

Entry point only: page configuration, sign-in and navigation. Each page lives in ``app_pages/``
(not ``pages/``: Streamlit would serve a folder of that name by itself, without this script,
to the first visitor of a fresh server who opens a page by its URL).
"""
from __future__ import annotations

import streamlit as st

from ui import auth, memory

# An emoji icon: Streamlit draws it in the page (an inline SVG); a ":material/...:" favicon is
# fetched from fonts.gstatic.com, a request that would leave the dashboard's host.
st.set_page_config(page_title="medcore", page_icon="🩺", layout="wide")
auth.require_sign_in()


def home() -> None:
    from ui.home import render

    auth.require_sign_in()
    render()


navigation = st.navigation([
    st.Page(home, title="Home", icon=":material/home:", default=True, url_path="home"),
    st.Page("app_pages/upload.py", title="Upload", icon=":material/upload_file:"),
    st.Page("app_pages/diagnosis.py", title="Diagnosis", icon=":material/diagnosis:"),
    st.Page("app_pages/survival.py", title="Survival", icon=":material/timeline:"),
    st.Page("app_pages/explanation.py", title="Explanation", icon=":material/psychology:"),
])
auth.user_panel(navigation.title)
navigation.run()
memory.return_freed_memory()    # after a run that loaded a model or built an explainer
