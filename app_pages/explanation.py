"""Explanation: why each model said what it said (SHAP, Grad-CAM, in words)."""
from __future__ import annotations

import streamlit as st

from ui import common, sections
from ui.auth import require_sign_in

require_sign_in()  # first: a page opened by its URL shows nothing before sign-in

st.title("Explanation")
common.disclaimer()
sections.render_page("Explanation")             # only the open tab computes (ui.sections)
