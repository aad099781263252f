"""Survival page, breast-cancer half: recurrence-free survival from the `breast_cancer_deepsurv`
ensemble, as a curve with its band, numbers at 1/3/5 years, a sentence and an icon array; with vs
without hormone therapy; a records CSV scored in one go. Logic lives in
:mod:`medcore.models.breast_cancer_deepsurv`."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from medcore.cards import ModelCard
from medcore.errors import MedcoreError
from medcore.models import breast_cancer_deepsurv as model
from medcore.records import MAX_BYTES, check_file_size, safe_csv
from medcore.registry import ModelSpec
from medcore.schemas import ROTTERDAM
from ui import audit_trail, common, forms, state

NAME = model.NAME
YEARS = (1.0, 3.0, 5.0)
BAND_TEXT = ("The shaded band is the spread (lowest to highest) of the ensemble's networks, each "
             "trained on a bootstrap resample of the Rotterdam data: it shows how much the fit "
             "itself varies, not a full confidence interval.")
CAVEAT = ("This compares the model's predictions with hormone therapy switched on and off. It is "
          "an association learnt from observational (Rotterdam) data, not the effect a "
          "randomised trial would measure; treated and untreated women differed in other ways.")


@st.cache_data(show_spinner=False)
def _gbsg_km() -> dict:
    from medcore.datasets.rotterdam_gbsg import load_gbsg
    from medcore.survival.metrics import kaplan_meier

    gbsg = load_gbsg()
    return kaplan_meier(gbsg["time"], gbsg["event"])


@st.cache_data(show_spinner=False, max_entries=8)
def _read_records(data: bytes) -> pd.DataFrame:
    from medcore.records import load_records

    return load_records(data, ROTTERDAM)


def _choose_patient(spec: ModelSpec, card: ModelCard) -> None:
    """The form or a row of the uploaded records -> the model's input key (when valid)."""
    records = st.session_state.get(state.RECORDS, {}).get(ROTTERDAM.name)
    sources = ["Enter values"] + (["Pick an uploaded record"] if records is not None else [])
    source = st.radio("Patient", sources, horizontal=True, key="rfs_source")
    ranges = model.numeric_training_ranges(card)
    if source == "Enter values":
        last = st.session_state.get(state.input_key(spec))
        defaults = (last.iloc[0].to_dict() if isinstance(last, pd.DataFrame)
                    else model.training_defaults(card))
        values = forms.schema_form(ROTTERDAM, defaults=defaults, training_ranges=ranges,
                                   key_prefix="rfs", submit_label="Predict survival")
        if values is not None:
            st.session_state[state.input_key(spec)] = pd.DataFrame([values])
            audit_trail.note_source(state.input_key(spec), "form")
        return
    labels = records.get("patient_id", pd.Series(range(1, len(records) + 1))).astype(str)
    row = st.selectbox("Record", range(len(records)), format_func=lambda i: labels.iloc[i],
                       key="rfs_record_row")
    if st.button("Use this record", key="rfs_use_record"):
        from medcore.records import out_of_range

        patient = records.iloc[[row]][list(model.FEATURE_NAMES)].reset_index(drop=True)
        model.to_model_array(patient)                 # raises on anything the model cannot take
        for warning in out_of_range(patient, ranges):
            common.show_warning(warning)
        st.session_state[state.input_key(spec)] = patient
        audit_trail.note_source(state.input_key(spec), "uploaded-records")


def _show_patient(served, patient: pd.DataFrame) -> None:
    from medcore.plots.survival import icon_array, survival_figure

    prediction = model.predict(served, patient)
    km = _gbsg_km()
    curves = {"This patient (model)": {"survival": prediction.survival[0],
                                       "lower": prediction.lower[0], "upper": prediction.upper[0],
                                       "band_name": "ensemble spread"}}
    st.plotly_chart(survival_figure(prediction.times, curves, kaplan_meier=km,
                                    kaplan_meier_name="GBSG cohort (Kaplan-Meier)", marks=YEARS,
                                    y_title="Alive without recurrence"),
                    key="rfs_chart_curve")
    share = served.card.parameters["max_years_min_share"]
    st.caption(f"{BAND_TEXT} The curve stops at {prediction.times[-1]:g} years (at least "
               f"{share:.0%} of Rotterdam patients still followed); the GBSG cohort's at its last "
               f"follow-up ({km['max_followup']:.1f} years).")
    for column, year in zip(st.columns(len(YEARS)), YEARS):
        value, low, high = (float(v[0]) for v in prediction.at(year))
        column.metric(f"Recurrence-free at {year:g} year{'s' if year != 1 else ''}",
                      f"{value:.0%}", help=f"Ensemble spread {low:.0%} to {high:.0%}")
    five, _, _ = prediction.at(5.0)
    sentence = model.rfs_sentence(five[0], 5)
    st.markdown(f"**{sentence}**")
    count = int(round(100 * float(five[0])))
    st.plotly_chart(icon_array(count, label="alive without recurrence at 5 years",
                               other_label="recurrence or death by 5 years",
                               title="100 women like her, 5 years after surgery"),
                    key="rfs_chart_icons")


def _show_hormone_therapy(served, patient: pd.DataFrame) -> None:
    from medcore.plots.survival import survival_figure

    both = model.with_and_without(served, patient, "hormon")
    curves = {label: {"survival": both[v].survival[0], "lower": both[v].lower[0],
                      "upper": both[v].upper[0]}
              for v, label in ((0, "Without hormone therapy"), (1, "With hormone therapy"))}
    st.plotly_chart(survival_figure(both[0].times, curves, marks=(5.0,),
                                    y_title="Alive without recurrence"),
                    key="rfs_chart_hormone_therapy")
    without, with_ = (float(both[v].at(5.0)[0][0]) for v in (0, 1))
    st.markdown(f"At 5 years: **{with_:.0%}** with vs **{without:.0%}** without hormone therapy "
                f"(difference {100 * (with_ - without):+.0f} percentage points).")
    st.info(CAVEAT, icon=":material/info:")


def _score_csv(served) -> None:
    upload = st.file_uploader("Records CSV or Excel (Rotterdam schema)",
                              type=["csv", "txt", "xlsx", "xls"], key="rfs_records_file",
                              max_upload_size=MAX_BYTES // (1024 * 1024),
                              help="One row per patient; the columns of the Rotterdam schema "
                                   "(template on the Upload page). Nothing is stored.")
    records = None
    if upload is not None:
        try:
            check_file_size(upload.size)              # before the bytes are copied or hashed
            records = _read_records(upload.getvalue())
        except MedcoreError:
            audit_trail.upload_checked("Survival", "uploaded-records", False, upload.file_id)
            raise
        audit_trail.upload_checked("Survival", "uploaded-records", True, upload.file_id)
    elif st.session_state.get(state.RECORDS, {}).get(ROTTERDAM.name) is not None:
        records = st.session_state[state.RECORDS][ROTTERDAM.name]
        st.caption(f"Using the {len(records)} records uploaded on the Upload page.")
    if records is None:
        return
    from medcore.records import out_of_range

    for warning in out_of_range(records, model.numeric_training_ranges(served.card)):
        common.show_warning(warning)                  # they quote the file's headers
    scored = model.score_records(served, records)
    common.upload_table(scored, hide_index=True, key="rfs_scored_table",
                        column_config=ROTTERDAM.display_labels)     # clinical titles on screen
    audit_trail.prediction_shown(NAME, "Survival", "uploaded-records", records)
    st.download_button("Download the scores (CSV)", data=safe_csv(scored),  # no cell a formula
                       file_name="recurrence_free_survival.csv", mime="text/csv",
                       key="rfs_scored_download", on_click=audit_trail.report_downloaded,
                       args=(NAME, "Survival", "uploaded-records"))


def _test_performance(card: ModelCard) -> None:
    """How the shipped ensemble did on GBSG, from the card's last ``evaluate`` run."""
    evaluation = card.evaluation
    if not evaluation:
        return
    from medcore.plots.survival import calibration_figure

    with st.expander(f"How well it did on the GBSG test cohort ({evaluation['n_test']} women)"):
        rows = {"this model": evaluation["test"], **evaluation["baselines"]}
        first, last = (f"{year:g}" for year in model.BRIER_GRID[[0, -1]])
        horizon = f"{model.HORIZON_YEARS:g}"
        st.dataframe(pd.DataFrame([
            {"model": name, "Harrell C": m["c_index"], f"Uno C ({last} y)": m["uno_c"],
             f"integrated Brier ({first}-{last} y)": m["integrated_brier"],
             f"{horizon}-y calibration gap": m["calibration_5y_mean_abs_diff"]}
            for name, m in rows.items()]).round(3), hide_index=True, key="rfs_test_table")
        groups = evaluation["test"]["calibration_5y"]
        st.plotly_chart(calibration_figure(groups, horizon=model.HORIZON_YEARS),
                        key="rfs_chart_calibration")
        st.caption("Higher C is better ranking (0.5 = chance); lower Brier and calibration gap "
                   f"are better. Calibration: {len(groups)} groups of predicted risk, observed by "
                   "Kaplan-Meier with 95% CI. Baselines were fitted on Rotterdam in the same run. "
                   f"Figures from `python -m medcore evaluate {NAME} --json`.")


def _guarded(func, *args) -> None:
    """Run one section; a MedcoreError becomes a message and the other sections still show."""
    try:
        func(*args)
    except MedcoreError as exc:
        common.show_error(exc)


def _patient_sections(spec: ModelSpec, served) -> None:
    patient = st.session_state.get(state.input_key(spec))
    if patient is None:
        st.info("Enter the patient's values and press **Predict survival**.")
        return
    _show_patient(served, patient)
    audit_trail.prediction_shown(NAME, "Survival", audit_trail.source_of(state.input_key(spec)),
                                 patient)
    st.subheader("With and without hormone therapy")
    _show_hormone_therapy(served, patient)


def render(spec: ModelSpec) -> None:
    """The breast-cancer tab of the Survival page."""
    if common.model_unavailable(NAME):
        return
    st.markdown("Recurrence-free survival (alive without recurrence) after surgery for "
                "node-positive breast cancer, from a DeepSurv-style ensemble trained on the "
                "Rotterdam cohort and tested on the GBSG trial.")
    try:
        served = common.serving_model(NAME)
    except MedcoreError as exc:
        common.show_error(exc)
        return
    _guarded(_choose_patient, spec, served.card)
    _guarded(_patient_sections, spec, served)
    st.subheader("Score a records file (CSV or Excel)")
    _guarded(_score_csv, served)
    _test_performance(served.card)
    common.model_card_expander(NAME)
    common.disclaimer()
