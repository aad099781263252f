"""Diagnosis: pneumonia on a chest radiograph; malignancy of a breast fine-needle aspirate."""
from __future__ import annotations

import streamlit as st

from ui import common, image_diagnosis, tabular_diagnosis

st.title("Diagnosis")
common.disclaimer()
image_tab, tabular_tab = st.tabs(["Chest radiograph: pneumonia",
                                  "Breast aspirate: malignancy"])
with image_tab:
    image_diagnosis.render()
with tabular_tab:
    tabular_diagnosis.render()
