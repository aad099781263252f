"""Survival page, dynamic half: PBC prognosis updated with every visit (``pbc_rnn``).

The history comes from one of the patients held out of the shipped model, or from a visits CSV
validated on the Upload page (``st.session_state[ui.state.RECORDS]["pbc_visits"]``). The chosen
history is stored under the model's input key (``ui.state.input_key(spec)``) after its checks
pass, for the Explanation page.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from medcore import registry
from medcore.datasets.pbc import check_visit_sequences
from medcore.errors import MedcoreError
from medcore.models import pbc_rnn
from medcore.models import pbc_rnn_words as pbc_words
from medcore.plots import sequences as plots
from medcore.registry import ModelSpec
from medcore.schemas import PBC_VISITS
from ui import audit_trail, common, report_button, state

MODEL = pbc_rnn.NAME
EXAMPLE = "Example patient (held out of training)"
UPLOADED = "Uploaded visits (Upload page)"
HORIZON = pbc_words.HORIZON
#: The visit slider's key (its value is kept across pages, ``persist_state="session"``).
SLIDER = "pbc_as_of_visit"


@st.cache_data(show_spinner=False)
def _demo_visits() -> pd.DataFrame:
    return pbc_rnn.demo_visits()


@st.cache_data(show_spinner=False, max_entries=64)
def _predict(history: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Curves after each visit (cached on the history's content)."""
    return pbc_rnn.survival_by_visit(common.serving_model(MODEL), history)


def _choose_history() -> tuple[pd.DataFrame | None, list[str]]:
    """The visits of one patient, checked; ``(None, [])`` when there is nothing to show."""
    source = st.radio("Visits from", [EXAMPLE, UPLOADED], horizontal=True,
                      key="pbc_source", persist_state="session")
    if source == EXAMPLE:
        try:
            visits = _demo_visits()
            caption = _held_out_caption(visits)
        except MedcoreError as exc:
            common.show_error(exc)
            return None, []
        st.caption(caption)
    else:
        visits = (st.session_state.get(state.RECORDS) or {}).get(PBC_VISITS.name)
        if visits is None:
            st.info("No visits uploaded yet. Upload a CSV with the **PBC visits** schema on the "
                    "Upload page (one row per visit, patients identified by `id`), then come "
                    "back here.")
            return None, []
    try:
        warnings = check_visit_sequences(visits, required=pbc_rnn.REQUIRED_COLUMNS)
    except MedcoreError as exc:
        common.show_error(exc)
        return None, []
    ids = list(pd.unique(visits["id"]))
    key = "pbc_patient_example" if source == EXAMPLE else "pbc_patient_upload"
    if st.session_state.get(key) not in ids:       # another file since: its first patient
        st.session_state.pop(key, None)
    patient = st.selectbox("Patient", ids, key=key, format_func=lambda i: f"patient {i}",
                           persist_state="session")
    history = visits[visits["id"] == patient].sort_values("day").reset_index(drop=True)
    history.attrs = {}
    tag = f"(patient {patient})"
    return history, [w for w in warnings if tag in w]


def _held_out_caption(visits: pd.DataFrame) -> str:
    """How many patients the card says were held out of training, and how many of them died."""
    held_out = registry.load_card(MODEL).parameters["demo_patient_ids"]
    died = int(visits[visits["id"].isin(held_out)].groupby("id")["event"].first().sum())
    return (f"These {len(held_out)} patients ({died} who died, {len(held_out) - died} who did "
            "not) were kept out of the shipped model's training; the model never saw them.")


def render(spec: ModelSpec) -> None:
    """The PBC tab of the Survival page."""
    st.subheader("Primary biliary cholangitis: prognosis after each visit")
    st.caption("Death is the event; a liver transplant counts as censoring (follow-up ends).")
    if common.model_unavailable(MODEL):
        return
    history, warnings = _choose_history()
    if history is None:
        return
    for warning in warnings:                  # they quote patient ids from the upload
        common.show_warning(warning)
    if "status" in history.columns:
        st.caption(pbc_words.observed_outcome(history))
    try:
        times, by_visit, days = _predict(history)
    except MedcoreError as exc:
        common.show_error(exc)
        return
    st.session_state[state.input_key(spec)] = history
    source = "sample" if st.session_state.get("pbc_source") == EXAMPLE else "uploaded-records"
    audit_trail.note_source(state.input_key(spec), source)
    audit_trail.prediction_shown(MODEL, "Survival", source, history)

    n_visits = len(days)
    if n_visits > 1:
        if not 1 <= st.session_state.get(SLIDER, 1) <= n_visits:    # kept from a longer history
            st.session_state.pop(SLIDER)
        k = st.slider("As of visit k", 1, n_visits, n_visits, key=SLIDER,
                      persist_state="session",
                      help="Predict from visits 1..k only; earlier predictions are faded.")
    else:
        k = 1
    five_year = pbc_rnn.survival_at(times, by_visit, HORIZON)
    st.markdown(pbc_words.headline(float(five_year[k - 1]), k,
                                   float(plots.years_since_first_visit(days)[k - 1])))
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Predicted survival after visit k**")
        st.plotly_chart(plots.survival_as_of_visit(times, by_visit, days, k),
                        key="pbc_curve", width="stretch")
    with right:
        st.markdown(f"**{HORIZON:g}-year survival predicted after each visit** "
                    "(visits after k faded)")
        st.plotly_chart(plots.survival_after_each_visit(days, five_year, horizon=HORIZON,
                                                        as_of_visit=k),
                        key="pbc_five_year", width="stretch")
    st.markdown("**Laboratory trajectories** (visits after k faded)")
    st.plotly_chart(plots.biomarker_trajectories(history, as_of_visit=k),
                    key="pbc_trajectories", width="stretch")
    report_button.render(MODEL, history, page="Survival", key="pbc", as_of_visit=k,
                         audit_source=source)
    with st.expander("Visits used"):
        shown = history.drop(columns=["futime", "status", "event", "time_from_visit"],
                             errors="ignore")
        common.upload_table(shown, hide_index=True, key="pbc_visits_table",
                            column_config=PBC_VISITS.display_labels)
    common.model_card_expander(MODEL)
    common.disclaimer()
