"""Diagnosis: pneumonia on a chest radiograph; malignancy of a breast fine-needle aspirate."""
from __future__ import annotations

import streamlit as st

from ui import common, sections

st.title("Diagnosis")
common.disclaimer()
sections.render_page("Diagnosis")
