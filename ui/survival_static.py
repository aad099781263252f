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
from medcore.models import breast_cancer_deepsurv_view as view
from medcore.models import breast_cancer_receptors as receptors
from medcore.records import MAX_BYTES, check_file_size, safe_csv
from medcore.registry import ModelSpec
from medcore.schemas import ROTTERDAM
from ui import audit_trail, common, forms, report_button, state

NAME = model.NAME


@st.cache_data(show_spinner=False, max_entries=8)
def _read_records(data: bytes) -> pd.DataFrame:
    from medcore.records import load_records

    return load_records(data, ROTTERDAM)


#: How each receptor status reads on the page (the cut-off from the module).
STATUS_LABELS = {
    receptors.VALUE: "a value in fmol/l (in the form below)",
    receptors.POSITIVE: f"positive ({receptors.CUTOFF_FMOL_L:g} fmol/l or more), no value",
    receptors.NEGATIVE: f"negative (below {receptors.CUTOFF_FMOL_L:g} fmol/l), no value",
    receptors.UNKNOWN: "unknown",
}
RECEPTOR_TITLES = {"er": "Oestrogen receptor (ER)", "pgr": "Progesterone receptor (PgR)"}


def _receptor_statuses() -> None:
    """ER and PgR as the pathology report gives them (kept across pages)."""
    for column, receptor in zip(st.columns(2), receptors.RECEPTORS):
        column.selectbox(RECEPTOR_TITLES[receptor], receptors.STATUSES,
                         format_func=STATUS_LABELS.get, key=f"rfs_{receptor}_status",
                         persist_state="session",
                         help=f"Positive means {receptors.CUTOFF_FMOL_L:g} fmol/l or more. A "
                              "status without a value averages the model's predictions over the "
                              "training patients' values in that category.")
    if any(st.session_state.get(f"rfs_{r}_status", receptors.VALUE) != receptors.VALUE
           for r in receptors.RECEPTORS):
        st.caption("The form's value of a receptor given as a status is not used.")


def _statuses(spec: ModelSpec) -> dict[str, str]:
    """The statuses chosen above the form; values only for a record from an uploaded file."""
    if audit_trail.source_of(state.input_key(spec)) != "form":
        return {r: receptors.VALUE for r in receptors.RECEPTORS}
    return {r: st.session_state.get(f"rfs_{r}_status", receptors.VALUE)
            for r in receptors.RECEPTORS}


def _choose_patient(spec: ModelSpec, card: ModelCard) -> None:
    """The form or a row of the uploaded records -> the model's input key (when valid)."""
    records = st.session_state.get(state.RECORDS, {}).get(ROTTERDAM.name)
    sources = ["Enter values"] + (["Pick an uploaded record"] if records is not None else [])
    source = st.radio("Patient", sources, horizontal=True, key="rfs_source")
    ranges = model.numeric_training_ranges(card)
    if source == "Enter values":
        _receptor_statuses()
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


def _show_patient(served, rows: receptors.ReceptorRows) -> None:
    prediction = receptors.predict_status(served, rows)
    years = view.shown_years(prediction)
    st.plotly_chart(view.patient_figure(prediction), key="rfs_chart_curve")
    st.caption(view.curve_caption(prediction, served.card))
    for column, year in zip(st.columns(len(years)), years):
        value, low, high = (float(v[0]) for v in prediction.at(year))
        column.metric(f"Recurrence-free at {year:g} year{'s' if year != 1 else ''}",
                      f"{value:.0%}", help=f"Ensemble spread {low:.0%} to {high:.0%}")
    for year in (y for y in years if y >= model.HORIZON_YEARS):
        st.markdown(f"**{model.rfs_sentence(float(prediction.at(year)[0][0]), year)}**")


def _show_hormone_therapy(served, rows: receptors.ReceptorRows) -> None:
    therapy = view.hormone_therapy(served, rows)
    st.plotly_chart(therapy.curves, key="rfs_chart_hormone_therapy")
    st.plotly_chart(therapy.icons, key="rfs_chart_icons")
    for item in therapy.counts:
        st.markdown(view.benefit_sentence(item))
    st.info(view.CAVEAT, icon=":material/info:")


def _results_first(scored: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The scored table as shown: identifier, results (percent, one decimal, plain titles), then
    the inputs. The download keeps ``scored`` as it is (fractions, CSV column names)."""
    titles = model.score_titles()
    results = [c for c in titles if c in scored.columns]
    ids = [c for c in ("patient_id",) if c in scored.columns]
    shown = scored[ids + results + [c for c in scored.columns if c not in ids + results]].copy()
    shown[results] = 100 * shown[results]
    return shown, {c: st.column_config.NumberColumn(titles[c], format="%.1f%%")
                   for c in results}


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
    shown, titles = _results_first(scored)
    common.upload_table(shown, hide_index=True, key="rfs_scored_table",
                        column_config={**ROTTERDAM.display_labels, **titles})
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

    box = common.lazy_expander(f"How well it did on the GBSG test cohort "
                               f"({evaluation['n_test']} women)", key="rfs_test_open")
    if box is None:
        return
    with box:
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
    rows = receptors.receptor_rows(patient, _statuses(spec))
    if rows.averaged_over:
        st.info(receptors.describe(rows), icon=":material/info:")
    _show_patient(served, rows)
    audit_trail.prediction_shown(NAME, "Survival", audit_trail.source_of(state.input_key(spec)),
                                 patient)
    st.subheader("With and without hormone therapy")
    _show_hormone_therapy(served, rows)
    report_button.render(NAME, patient, page="Survival", key="rfs", statuses=_statuses(spec),
                         audit_source=audit_trail.source_of(state.input_key(spec)))


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
