"""Diagnosis page, tabular half: P(malignant) of a breast aspirate (`breast_cancer_fnn`).

Three sections: one patient entered in a form; many patients from a records CSV (the Upload page's,
or one uploaded here), scored in a sortable, downloadable table; and the model's track record on
the held-out test split (ROC, precision-recall, confusion matrix, calibration) under one
threshold slider. TensorFlow is imported only when the model is first loaded.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from medcore import metrics, registry
from medcore.cards import ModelCard
from medcore.errors import MedcoreError
from medcore.models import breast_cancer_fnn as fnn
from medcore.plots import classification as plots
from medcore.records import MAX_BYTES, check_file_size, load_records, out_of_range, safe_csv
from medcore.registry import ModelSpec
from medcore.safe_text import markdown_message
from medcore.schemas import WDBC
from ui import audit_trail, common, forms, report_button, state

NAME = fnn.NAME
KEY = "wdbc"


@st.cache_data(show_spinner=False)
def _test_predictions(sha256: str) -> tuple[np.ndarray, np.ndarray]:
    """Labels and P(malignant) on the held-out test split, once per shipped model file."""
    return fnn.test_predictions(common.serving_model(NAME))


@st.cache_data(show_spinner=False, max_entries=8)
def _records_from_bytes(data: bytes) -> pd.DataFrame:
    """Validated WDBC records from an uploaded CSV (cached on its bytes)."""
    return load_records(data, WDBC)


def _score(frame: pd.DataFrame, threshold: float) -> pd.DataFrame:
    return fnn.score_records(common.serving_model(NAME), frame, threshold)


def _meaning(threshold: float, sha256: str) -> str:
    """One sentence: what the threshold means on the test split."""
    return fnn.threshold_meaning(*_test_predictions(sha256), threshold)


def _one_patient(spec: ModelSpec, card: ModelCard, threshold: float) -> None:
    st.subheader("One patient")
    st.caption("Fine-needle aspirate measurements of the cell nuclei, as mean, standard error and "
               "worst (mean of the three largest) of each measurement. The fields start at the "
               "training medians; values outside the training range are flagged.")
    values = forms.schema_form(WDBC, defaults=card.input_contract.medians,
                               training_ranges=card.input_contract.ranges,
                               key_prefix=KEY, submit_label="Estimate P(malignant)")
    if values is not None:
        st.session_state[state.input_key(spec)] = pd.DataFrame([values])[WDBC.feature_names]
        audit_trail.note_source(state.input_key(spec), "form")
    patient = st.session_state.get(state.input_key(spec))
    if patient is None:
        st.info("Enter the measurements and press **Estimate P(malignant)**.")
        return
    try:
        scored = _score(patient, threshold)
    except MedcoreError as exc:
        common.show_error(exc)
        return
    probability = float(scored["P(malignant)"].iloc[0])
    call = scored["call"].iloc[0]
    left, right = st.columns(2)
    left.metric("P(malignant)", f"{probability:.1%}")
    right.metric(f"Call at threshold {threshold:.2f}", call)
    audit_trail.prediction_shown(NAME, "Diagnosis", "form", patient)
    st.markdown(_meaning(threshold, card.sha256))
    st.caption("The patient is kept for the Explanation page, which shows which measurements "
               "drove this probability.")
    report_button.render(NAME, patient, page="Diagnosis", key=KEY, threshold=threshold,
                         audit_source=audit_trail.source_of(state.input_key(spec)))
    common.disclaimer()


def _many_patients(card: ModelCard, threshold: float) -> None:
    st.subheader("Many patients (records CSV)")
    records = st.session_state.get(state.RECORDS, {}).get(WDBC.name)
    upload = st.file_uploader(f"Upload a CSV or Excel (.xlsx) file with the "
                              f"{len(WDBC.feature_names)} Wisconsin columns (or use the one "
                              "loaded on the Upload page)",
                              type=["csv", "txt", "tsv", "xlsx", "xls"],
                              key=f"{KEY}_records_upload",
                              max_upload_size=MAX_BYTES // (1024 * 1024))
    if upload is not None:
        try:
            check_file_size(upload.size)              # before the bytes are copied or hashed
            records = _records_from_bytes(upload.getvalue())
        except MedcoreError as exc:
            audit_trail.upload_checked("Diagnosis", "uploaded-records", False, upload.file_id)
            common.show_error(exc)
            if records is not None:
                st.caption("Below: the records last loaded without errors.")
        else:
            audit_trail.upload_checked("Diagnosis", "uploaded-records", True, upload.file_id)
            st.session_state.setdefault(state.RECORDS, {})[WDBC.name] = records
    if records is None:
        st.info("No breast-aspirate records loaded: upload a CSV here or on the Upload page.")
        return
    for note in records.attrs.get("notes", []):      # they quote the file's column names
        st.caption(markdown_message(note))
    for warning in out_of_range(records, card.input_contract.ranges):
        common.show_warning(warning)
    try:
        scored = _score(records, threshold)
    except MedcoreError as exc:
        common.show_error(exc)
        return
    scored = fnn.results_first(scored)
    malignant = int((scored["call"] == "malignant").sum())
    st.markdown(f"**{len(scored)}** records scored; **{malignant}** called malignant at "
                f"threshold {threshold:.2f}. Click a column header to sort.")
    common.upload_table(scored, hide_index=True, key=f"{KEY}_scored_table", column_config={
        **WDBC.display_labels,                          # clinical titles; the CSV keeps names
        "P(malignant)": st.column_config.ProgressColumn(
            "P(malignant)", min_value=0.0, max_value=1.0, format="percent")})
    audit_trail.prediction_shown(NAME, "Diagnosis", "uploaded-records", records)
    st.download_button("Download the scored records (CSV)",
                       data=safe_csv(scored),                # no cell becomes a formula
                       file_name="wdbc_scored.csv", mime="text/csv", key=f"{KEY}_download",
                       on_click=audit_trail.report_downloaded,
                       args=(NAME, "Diagnosis", "uploaded-records"))
    common.disclaimer()


def _statistics_heading(card: ModelCard, threshold: float) -> None:
    """The test split in words, before the fragment (the slider does not change it)."""
    st.subheader("How well the model does: held-out test split")
    y, _ = _test_predictions(card.sha256)
    st.caption(f"{len(y)} aspirates ({int(y.sum())} malignant) never seen in training or model "
               f"selection. The operating threshold {threshold:.2f} was chosen by cross-validation "
               "on the training split; move the slider to see the trade-off.")


@st.fragment
def _statistics(card: ModelCard, threshold: float, spec: ModelSpec) -> None:
    """The threshold slider and everything it changes: this patient's call, the test-split
    figures. A fragment: moving the slider reruns this section only, not the page; what the
    slider does not change is drawn outside it (each element sent is a browser render)."""
    y, p = _test_predictions(card.sha256)
    chosen = st.slider("Threshold: P(malignant) at or above it is called malignant",
                       min_value=0.01, max_value=0.99, value=float(round(threshold, 2)),
                       step=0.01, key=f"{KEY}_threshold")
    patient = st.session_state.get(state.input_key(spec))
    if patient is not None:
        try:
            call = _score(patient, chosen)["call"].iloc[0]
        except MedcoreError as exc:
            common.show_error(exc)
        else:
            st.metric(f"This patient, called at threshold {chosen:.2f}", call)
    at = metrics.threshold_metrics(y, p, chosen)
    for column, (label, name) in zip(st.columns(5), (
            ("Sensitivity", "sensitivity"), ("Specificity", "specificity"), ("PPV", "ppv"),
            ("NPV", "npv"), ("Accuracy", "accuracy"))):
        column.metric(label, "n/a" if np.isnan(at[name]) else f"{at[name]:.1%}")
    # One chart at a time: a slider move redraws only the open one (each plotly chart costs the
    # browser a redraw; five took seconds on a loaded 2-core machine). The confusion matrix, open
    # first, is a table: four numbers, read at a glance, and no chart to redraw.
    figures = {"ROC curve": lambda: plots.roc_figure(y, p, chosen),
               "Precision-recall": lambda: plots.precision_recall_figure(y, p, chosen),
               "Calibration": lambda: plots.calibration_figure(y, p, chosen, num_bins=5),
               "Probabilities by true class": lambda: plots.probability_histogram(y, p, chosen)}
    table, *charts = st.tabs(["Confusion matrix", *figures], key=f"{KEY}_chart",
                             on_change="rerun")
    if table.open is not False:
        with table:
            _confusion_table(y, p, chosen)
    for tab, (title, figure) in zip(charts, figures.items()):
        if tab.open is False:
            continue
        with tab:
            st.plotly_chart(figure(), key=f"{KEY}_chart_{title}")


def _confusion_table(y: np.ndarray, p: np.ndarray, threshold: float) -> None:
    st.markdown(plots.confusion_markdown(y, p, threshold))
    st.caption("Each cell: how many test aspirates, and their share of the row (the truly "
               "benign, or the truly malignant).")


def _versus_baselines(card: ModelCard) -> None:
    evaluation = card.evaluation
    if not evaluation:
        return
    rows = {"feed-forward network (this model)": evaluation["test"],
            **{name.replace("_", " "): values for name, values in evaluation["baselines"].items()}}
    table = pd.DataFrame({name: {"AUC": r["auc"], "accuracy": r["accuracy"],
                                 "sensitivity": r["sensitivity"], "specificity": r["specificity"],
                                 "Brier": r["brier"], "ECE": r["ece"], "threshold": r["threshold"]}
                          for name, r in rows.items()}).T
    st.markdown("**Against baselines fitted on the same split** (from the model card's last "
                f"`python -m medcore evaluate {NAME}`):")
    st.dataframe(table.style.format("{:.3f}"), key=f"{KEY}_baselines")
    st.caption("95% bootstrap intervals of the test AUC: " + "; ".join(
        f"{name} {r['ci95']['auc'][0]:.3f} to {r['ci95']['auc'][1]:.3f}"
        for name, r in rows.items() if "ci95" in r)
        + f". With {evaluation['n_test']} test cases, differences of a few thousandths are "
        "within chance.")
    cv = card.quantitative_analyses.get("cross_validation", {})
    if cv.get("auc"):
        st.caption(f"Repeated {cv['repeats']}x{cv['folds']} cross-validation on the training "
                   f"split: AUC {cv['auc']['mean']:.3f} (SD {cv['auc']['sd']:.3f}), accuracy "
                   f"{cv['accuracy_at_0.5']['mean']:.3f} (SD {cv['accuracy_at_0.5']['sd']:.3f}).")


def render(spec: ModelSpec) -> None:
    """The tabular half of the Diagnosis page."""
    if common.model_unavailable(NAME):
        return
    try:
        card = registry.load_card(NAME)
        common.serving_model(NAME)
    except MedcoreError as exc:
        common.show_error(exc)
        return
    threshold = card.threshold.value
    common.model_card_expander(NAME)
    _one_patient(spec, card, threshold)
    st.divider()
    _many_patients(card, threshold)
    st.divider()
    _statistics_heading(card, threshold)
    _statistics(card, threshold, spec)
    _versus_baselines(card)                  # outside the fragment: the slider does not change it
