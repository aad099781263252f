"""The home page: what each page does and which models stand behind it (from the registry)."""
from __future__ import annotations

import streamlit as st

from medcore import RESEARCH_USE_DISCLAIMER, registry

#: The pages, in the navigation's order, with what they do; their models come from the specs.
PAGES = (
    ("Upload", "Load a scan (DICOM, PNG, JPEG; single files, series or a zip) or a CSV of "
               "patient records, and check that it reads correctly."),
    ("Diagnosis", "Probability, operating threshold, and how good the model is there."),
    ("Survival", "Absolute risk over the years after surgery or after each visit, with its "
                 "uncertainty."),
    ("Explanation", "Why the model said so: SHAP attributions and Grad-CAM, in words."),
)


def render() -> None:
    st.title("medcore")
    st.markdown("Diagnosis, survival prediction and explanations from neural networks trained "
                "on public clinical data.")
    for title, description in PAGES:
        with st.container(border=True):
            st.subheader(title)
            st.write(description)
            shown = [s for s in registry.specs() if s.section(title) is not None]
            for spec in shown:
                status = "ready" if registry.is_available(spec.name) else "not built yet"
                st.markdown(f"- {spec.title} (`{spec.name}`): {status}")
    st.caption(RESEARCH_USE_DISCLAIMER)
