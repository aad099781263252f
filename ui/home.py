"""The home page: what a clinician can do, and where; the models named in words (from the
registry), code names left to the model cards and the command line."""
from __future__ import annotations

import streamlit as st

from medcore import RESEARCH_USE_DISCLAIMER, registry

#: The pages, in the navigation's order: the question a clinician brings, and what the page does.
PAGES = (
    ("Upload", "app_pages/upload.py",
     "Have a scan or a table of patients?",
     "Load a scan (DICOM, PNG, JPEG; one file, a series or a zip) or a CSV/Excel file of "
     "patient records, and check that it reads correctly: window and level, slices, the "
     "de-identified details, one message per problem in a table."),
    ("Diagnosis", "app_pages/diagnosis.py",
     "Have a child's chest X-ray, or a breast aspirate's measurements?",
     "The probability of disease, how much the networks agree, the operating threshold and "
     "what a positive or negative call means where you work; \"Not assessable by this model\" "
     "when the input is not what the model was made for."),
    ("Survival", "app_pages/survival.py",
     "Following a woman after breast-cancer surgery, or a patient with PBC?",
     "Absolute risk over the years after surgery or after each visit, with its uncertainty, as "
     "a curve, in words and as 100 people."),
    ("Explanation", "app_pages/explanation.py",
     "Want to know why the model said so?",
     "Which measurements or which parts of the image moved the prediction, in words and "
     "charts."),
)


def render() -> None:
    st.title("medcore")
    st.markdown("Diagnosis, survival prediction and explanations from neural networks trained "
                "on public clinical data. What you can do:")
    for title, path, question, description in PAGES:
        with st.container(border=True):
            st.subheader(title)
            st.markdown(f"**{question}** {description}")
            for spec in registry.specs(page=title):
                if registry.is_available(spec.name):
                    learnt = f" Learnt from: {spec.population}" if title != "Explanation" else ""
                    st.markdown(f"- {spec.title}.{learnt}")
                else:
                    st.markdown(f"- {spec.title}: not available yet (the model has not been "
                                "trained and shipped).")
            st.page_link(path, label=f"Open {title}", icon=":material/arrow_forward:")
    st.caption(RESEARCH_USE_DISCLAIMER)
