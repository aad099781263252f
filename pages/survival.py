"""Survival: recurrence-free survival after breast-cancer surgery; PBC prognosis by visit."""
from __future__ import annotations

import streamlit as st

from ui import common, survival_dynamic, survival_static

st.title("Survival")
common.disclaimer()
static_tab, dynamic_tab = st.tabs(["Breast cancer: recurrence-free survival",
                                   "Liver (PBC): prognosis by visit"])
with static_tab:
    survival_static.render()
with dynamic_tab:
    survival_dynamic.render()
