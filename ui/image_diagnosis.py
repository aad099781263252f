"""Diagnosis page, image half: pneumonia on a chest radiograph (``pneumonia_cnn``).

The scan comes from the Upload page (``st.session_state[ui.state.SCAN]``) or a sample; the page
shows it beside the 28 x 28 input the network sees (and which window made it, see
``medcore.imaging.model_window``), the calibrated probability with the ensemble's spread, the
operating threshold and what it means on the test set, and a Grad-CAM map. The research-use
disclaimer is the page's own (``app_pages/diagnosis.py``). The probability comes from LiteRT
(no TensorFlow) and is shown first; TensorFlow is imported for the Grad-CAM map, which follows.
"""
from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import streamlit as st

from medcore import registry, samples
from medcore.cards import ModelCard
from medcore.errors import MedcoreError
from medcore.imaging import ModelWindow, model_window, to_model_input
from medcore.models import pneumonia_cnn
from medcore.plots.images import scan_figure
from medcore.registry import ModelSpec
from medcore.safe_text import escape_markdown
from ui import audit_trail, common, scan_view, state

UPLOADED = "__uploaded__"


@st.cache_data(show_spinner=False, max_entries=16)
def _load_sample(name: str):
    return samples.load_sample(name)


@st.cache_data(show_spinner=False, max_entries=64)
def _predict(name: str, x: np.ndarray) -> pneumonia_cnn.Prediction:
    """The ensemble's prediction for one model input ``(1, 28, 28, 1)`` (cached on its bytes)."""
    return pneumonia_cnn.predict(common.serving_model(name), x)


@st.cache_data(show_spinner=False, max_entries=64)
def _grad_cam(name: str, x: np.ndarray) -> np.ndarray:
    """The Grad-CAM map ``(28, 28)`` of one model input (cached on its bytes)."""
    from medcore.explain.gradcam import grad_cam

    return grad_cam(common.keras_model(name), x)[0]


def _let_the_probability_out() -> None:
    """Before the first TensorFlow import, give the server's event loop a moment to send what
    is drawn so far: loading TensorFlow's libraries holds the interpreter lock for seconds, and
    the probability would otherwise reach the browser only with the map."""
    if "tensorflow" not in sys.modules:
        time.sleep(0.25)


def _choose_scan() -> tuple[Any, str]:
    """The uploaded scan or a sample: ``(scan or None, label)``."""
    uploaded = st.session_state.get(state.SCAN)
    if uploaded is None:
        st.info("No scan uploaded yet. Upload a chest radiograph (DICOM, PNG or JPEG) on the "
                "**Upload** page, or try a sample below.", icon=":material/upload_file:")
    options = ([UPLOADED] if uploaded is not None else []) + samples.list_samples()
    name = st.session_state.get(state.SCAN_NAME) or "uploaded scan"
    if isinstance(name, (list, tuple)):
        name = f"{name[0]} (+{len(name) - 1} more)" if len(name) > 1 else name[0]

    def label(option: str) -> str:
        return f"Uploaded: {name}" if option == UPLOADED else samples.describe_sample(option)

    choice = st.selectbox("Image to assess", options, index=0 if uploaded is not None else None,
                          format_func=label, placeholder="Choose a sample image",
                          key="image_dx_source")
    if choice is None:
        return None, ""
    if choice == UPLOADED:
        return uploaded, label(choice)
    return _load_sample(choice), choice


def _show_images(scan: Any, frame: int, x: np.ndarray, cam: np.ndarray,
                 window: ModelWindow) -> None:
    model_view = x[0, :, :, 0].astype(np.uint8)
    left, middle, right = st.columns(3)
    with left:
        st.markdown("**As uploaded** (the scan's own window)")
        st.plotly_chart(scan_figure(scan.display(frame)), key="image_dx_original")
        rows, columns = scan.pixels.shape[1:3]
        st.caption(f"{escape_markdown(scan.modality)}, {rows} x {columns} pixels"
                   + (f", frame {frame + 1} of {scan.n_frames}" if scan.n_frames > 1 else ""))
    with middle:
        st.markdown("**What the model sees** (28 x 28)")
        st.plotly_chart(scan_figure(model_view), key="image_dx_model_input")
        st.caption(f"Model-input window: {window.description} Steps: grey-scale, this window "
                   "onto 0..255, centre square, resize to 28 x 28 "
                   "(medcore.imaging.to_model_input).")
    with right:
        st.markdown("**Where the model looked** (Grad-CAM)")
        st.plotly_chart(scan_figure(model_view, overlay=cam, overlay_label="Grad-CAM"),
                        key="image_dx_gradcam")
        st.caption("Bright: regions whose features raised the pneumonia score most (mean of "
                   "the ensemble members' Grad-CAM maps on their last convolutional block).")


def _percent(value: float) -> str:
    return ">99%" if value > 0.995 else "<1%" if value < 0.005 else f"{value:.0%}"


def _show_result(prediction: pneumonia_cnn.Prediction, card: ModelCard, scan: Any) -> None:
    probability = float(prediction.probability[0])
    members = prediction.member_probabilities[0]
    threshold = card.threshold.value
    positive = probability >= threshold
    cols = st.columns(3)
    cols[0].metric("P(pneumonia)", _percent(probability),
                   help="Calibrated on the validation split (Platt scaling).")
    cols[1].metric("Ensemble spread (SD)", f"± {prediction.spread[0]:.0%}",
                   help=f"Standard deviation across the {members.size} networks of the ensemble.")
    cols[2].metric("Operating threshold", f"{threshold:.0%}",
                   help=card.threshold.rule)
    call = ("**Pneumonia suspected**: the probability is at or above the threshold."
            if positive else "**No pneumonia found**: the probability is below the threshold.")
    (st.error if positive else st.success)(call)
    st.markdown(f"Uncertainty: a deep ensemble of {members.size} networks trained from different "
                f"seeds; they give {', '.join(_percent(m) for m in members)} "
                f"(range {_percent(members.min())} to {_percent(members.max())}).")
    sentence = pneumonia_cnn.operating_point_sentence(card.evaluation)
    if sentence:
        st.markdown(sentence)
    reference = scan.metadata.get("reference_label")
    if reference:
        st.caption(f"Data-set label of this sample: **{escape_markdown(reference)}**.")


def render(spec: ModelSpec) -> None:
    """The image half of the Diagnosis page."""
    name = spec.name
    if common.model_unavailable(name):
        return
    scan, _ = _choose_scan()
    if scan is None:
        common.model_card_expander(name)
        return
    try:
        frame = scan_view.frame_control(scan, key="image_dx")
        window = model_window(scan, frame)
        x = to_model_input(scan, frame=frame, window=window.window)
        card = registry.load_card(name)
        for warning in pneumonia_cnn.intended_use_warnings(
                scan, frame, model_input=x, reference=card.parameters.get("input_reference")):
            common.show_warning(warning)
        with st.spinner("Assessing the image..."):
            prediction = _predict(name, x)
    except MedcoreError as exc:
        common.show_error(exc)
        return
    _show_result(prediction, card, scan)
    source = audit_trail.source_of_input(state.SCAN, scan)
    audit_trail.prediction_shown(name, "Diagnosis", source, x)
    # the probability is drawn already; the map needs the Keras model (TensorFlow)
    _let_the_probability_out()
    try:
        with st.spinner("Computing where the model looked (Grad-CAM)..."):
            cam = _grad_cam(name, x)
    except MedcoreError as exc:
        common.show_error(exc)
        return
    _show_images(scan, frame, x, cam, window)
    common.model_card_expander(name)
