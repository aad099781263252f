"""Diagnosis: pneumonia on a chest radiograph; malignancy of a breast fine-needle aspirate."""
from __future__ import annotations

import streamlit as st

from ui import common, sections
from ui.auth import require_sign_in

require_sign_in()  # first: a page opened by its URL shows nothing before sign-in

st.title("Diagnosis")
common.disclaimer()
sections.render_page("Diagnosis")
