"""The floor of ``python -m bench.load --floor``: the smallest Streamlit app on which the load
bench's clinicians can take the same steps (no model, no sign-in, no chart, no picture).

Same page titles, widget labels and metric labels as the dashboard (the bench finds them by
those): Diagnosis, a selectbox "Image to assess" whose options are the sample names the bench
picks (``MEDCORE_FLOOR_SAMPLES``, one per line), and a "P(pneumonia)" metric once one is
picked; Survival, one tab with a form whose button is "Predict survival", and a
"Recurrence-free at 5 years" metric after it is pressed. The figures are placeholders that
only this bench reads: the app measures what Streamlit and the browsers cost, nothing else.
"""
import os

import streamlit as st



def home() -> None:
    st.title("medcore")
    st.markdown("The load bench's floor: Streamlit's own cost, without the dashboard.")


def diagnosis() -> None:
    st.title("Diagnosis")
    options = [line for line in os.environ.get("MEDCORE_FLOOR_SAMPLES", "").splitlines() if line]
    if st.selectbox("Image to assess", options, index=None, placeholder="Choose a sample"):
        st.metric("P(pneumonia)", "placeholder")


def survival() -> None:
    st.title("Survival")
    tab, = st.tabs(["Breast cancer"])
    with tab:
        with st.form("floor_form"):
            st.number_input("Age (years)", value=50)
            pressed = st.form_submit_button("Predict survival", type="primary")
        if pressed:
            st.metric("Recurrence-free at 5 years", "placeholder")


if __name__ == "__main__":      # streamlit run (a test imports the pages one by one)
    st.set_page_config(page_title="load floor", layout="wide")
    st.navigation([st.Page(home, title="Home", default=True, url_path="home"),
                   st.Page(diagnosis, title="Diagnosis", url_path="diagnosis"),
                   st.Page(survival, title="Survival", url_path="survival")]).run()
