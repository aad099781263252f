"""Survival: recurrence-free survival after breast-cancer surgery; PBC prognosis by visit."""
from __future__ import annotations

import streamlit as st

from ui import common, sections

st.title("Survival")
common.disclaimer()
sections.render_page("Survival")
