"""The home page: what each page does and which models stand behind it."""
from __future__ import annotations

import streamlit as st

from medcore import RESEARCH_USE_DISCLAIMER, registry

PAGES = (
    ("Upload", "Load a scan (DICOM, PNG, JPEG; single files, series or a zip) or a CSV of "
               "patient records, and check that it reads correctly.", ()),
    ("Diagnosis", "Pneumonia on a chest radiograph, and malignancy of a breast fine-needle "
                  "aspirate: probability, threshold, and how good the model is there.",
     ("pneumonia_cnn", "breast_cancer_fnn")),
    ("Survival", "Recurrence-free survival after breast-cancer surgery, and prognosis of a "
                 "liver patient updated with every visit.",
     ("breast_cancer_deepsurv", "pbc_rnn")),
    ("Explanation", "Why the model said so: SHAP attributions and Grad-CAM, in words.",
     ("pneumonia_cnn", "breast_cancer_fnn", "breast_cancer_deepsurv", "pbc_rnn")),
)


def render() -> None:
    st.title("medcore")
    st.markdown("Diagnosis, survival prediction and explanations from neural networks trained "
                "on public clinical data.")
    for title, description, models in PAGES:
        with st.container(border=True):
            st.subheader(title)
            st.write(description)
            for name in models:
                status = "ready" if registry.is_available(name) else "not built yet"
                st.markdown(f"- `{name}`: {status}")
    st.caption(RESEARCH_USE_DISCLAIMER)
