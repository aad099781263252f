"""Survival: recurrence-free survival after breast-cancer surgery; PBC prognosis by visit."""
from __future__ import annotations

import streamlit as st

from ui import common, sections
from ui.auth import require_sign_in

require_sign_in()  # first: a page opened by its URL shows nothing before sign-in

st.title("Survival")
common.disclaimer()
sections.render_page("Survival")
