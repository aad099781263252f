"""Diagnosis page, image half: pneumonia on a chest radiograph (``pneumonia_cnn``).

The scan comes from the Upload page (``st.session_state[ui.state.SCAN]``) or a sample, and is
named (series description, modality, file name). The model's intended use is checked first
(:func:`medcore.models.pneumonia_cnn_scope.assess`): a scan the model cannot judge shows
"Not assessable by this model" and why, with no verdict, no coloured call and no headline
probability (the raw output only inside a collapsed section that says it is meaningless).
Otherwise: the calibrated probability with the range of the ensemble's networks on the same
scale, the operating threshold and what it means on the test set, predictive values at a
prevalence the clinician sets, the test-set calibration, who the model learnt from, and the
images: the film, the 28 x 28 input, and on the film (over the square the model read) the
map of what moved the score (gradient x difference, the map whose deletion curve falls
fastest), with an opacity control; three pictures of one height (PNGs drawn by
:func:`medcore.plots.images.scan_image`: no plotly chart on this tab). The research-use
disclaimer is the page's own (``app_pages/diagnosis.py``). The probability and the map both
come from LiteRT (``NAME.tflite`` and ``NAME.map.tflite``): the page never imports TensorFlow.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from medcore import registry, samples
from medcore.cards import ModelCard
from medcore.errors import MedcoreError
from medcore.imaging import ModelWindow, model_square, model_window, scan_label, to_model_input
from medcore.models import pneumonia_cnn
from medcore.models import pneumonia_cnn_words as words
from medcore.models.pneumonia_cnn_scope import Assessment, assess
from medcore.plots.images import scan_image
from medcore.registry import ModelSpec
from medcore.safe_text import escape_markdown
from ui import audit_trail, common, report_button, scan_view, state

UPLOADED = "__uploaded__"


@st.cache_data(show_spinner=False, max_entries=16)
def _load_sample(name: str):
    return samples.load_sample(name)


@st.cache_data(show_spinner=False, max_entries=64)
def _predict(name: str, x: np.ndarray) -> pneumonia_cnn.Prediction:
    """The ensemble's prediction for one model input ``(1, 28, 28, 1)`` (cached on its bytes)."""
    return pneumonia_cnn.predict(common.serving_model(name), x)


@st.cache_data(show_spinner=False, max_entries=64)
def _attribution(name: str, x: np.ndarray) -> np.ndarray:
    """The gradient x difference map ``(28, 28)`` from the mean training image, of one model
    input (cached on its bytes), run by LiteRT (``NAME.map.tflite``): the map whose deletion
    curve falls fastest (``python -m medcore bench --only explain``)."""
    return common.gradient_map(name)(x)[0]


def uploaded_label() -> str:
    """The uploaded scan named as every page names it (series description, modality, file)."""
    scan = st.session_state.get(state.SCAN)
    return "" if scan is None else scan_label(scan, st.session_state.get(state.SCAN_NAME) or "")


def _choose_scan() -> tuple[Any, str]:
    """The uploaded scan or a sample: ``(scan or None, its name)``."""
    uploaded = st.session_state.get(state.SCAN)
    if uploaded is None:
        st.info("No scan uploaded yet. Upload a chest radiograph (DICOM, PNG or JPEG) on the "
                "**Upload** page, or try a sample below.", icon=":material/upload_file:")
    options = ([UPLOADED] if uploaded is not None else []) + samples.list_samples()

    def label(option: str) -> str:
        return (f"Uploaded: {uploaded_label()}" if option == UPLOADED
                else samples.describe_sample(option))

    choice = st.selectbox("Image to assess", options, index=0 if uploaded is not None else None,
                          format_func=label, placeholder="Choose a sample image",
                          key="image_dx_source")
    if choice is None:
        return None, ""
    if choice == UPLOADED:
        return uploaded, uploaded_label()
    scan = _load_sample(choice)
    return scan, scan_label(scan, choice)


def _population(card: ModelCard) -> None:
    """Who the model learnt from, in words (the card's factors)."""
    source = f" Source: {card.factors.source}" if card.factors.source else ""
    st.caption(f"**Learnt from:** {card.factors.population}{source}")


def _not_assessable(assessment: Assessment, prediction: pneumonia_cnn.Prediction) -> None:
    """No verdict, no coloured call, no headline probability: the reasons, and the raw number
    only in a collapsed section that says it means nothing here."""
    common.not_assessable(assessment.reasons, assessment.cautions)
    with st.expander("Details: the raw model output (meaningless for this image)",
                     expanded=False):
        raw = words.probability_with_range(float(prediction.probability[0]),
                                           prediction.member_probabilities[0])
        st.caption(words.raw_output_sentence(raw))


def _result(prediction: pneumonia_cnn.Prediction, card: ModelCard,
            assessment: Assessment) -> None:
    probability = float(prediction.probability[0])
    members = prediction.member_probabilities[0]
    threshold = card.threshold.value
    positive = probability >= threshold
    cols = st.columns(3)
    cols[0].metric("P(pneumonia)", words.percent(probability),
                   help="Calibrated probability of the ensemble (Platt scaling fitted on the "
                        "validation split).")
    cols[1].metric("Networks range", words.member_span(members),
                   help=f"The calibrated probability of each of the {members.size} networks of "
                        "the ensemble, trained from different seeds: how much they disagree.")
    cols[2].metric("Operating threshold", words.percent(threshold), help=card.threshold.rule)
    (st.error if positive else st.success)(words.call_sentence(positive))
    st.markdown(words.ensemble_sentence(probability, members))
    for caution in assessment.cautions:
        common.show_warning(caution)


@st.fragment
def _operating_point(card: ModelCard) -> None:
    """Sensitivity and specificity at the threshold on the test set, and what a call means at
    the prevalence the clinician sets (reruns alone when the slider moves)."""
    sentence = pneumonia_cnn.operating_point_sentence(card.evaluation)
    if sentence:
        st.markdown(sentence)
    point, prevalence = words.test_operating_point(card), words.test_prevalence(card)
    if point is not None and prevalence is not None:
        chosen = st.slider("Share of children with pneumonia where you work (%)", 1, 99,
                           value=int(round(100 * prevalence)), key="image_dx_prevalence",
                           help=f"Default: the test set's ({prevalence:.1%}). Predictive values "
                                "depend on how common pneumonia is among the children tested.")
        st.markdown(words.prevalence_sentences(*point, chosen / 100))


def _calibration(card: ModelCard) -> None:
    """The test-set calibration in words and as a reliability curve (outside the prevalence
    fragment: the slider does not change it)."""
    calibration = words.calibration_sentence(card)
    if calibration:
        st.caption(calibration)
    bins = ((card.evaluation or {}).get("test") or {}).get("reliability")
    if bins:
        box = common.lazy_expander("Calibration on the test images (reliability curve)",
                                   key="image_dx_reliability_open")
        if box is None:
            return
        from medcore.plots.classification import reliability_figure

        with box:
            st.plotly_chart(reliability_figure([b["predicted"] for b in bins],
                                               [b["positives"] for b in bins],
                                               [b["n"] for b in bins], card.threshold.value),
                            key="image_dx_reliability")
            st.caption("Each point: the test images given about that probability (x), and the "
                       "share of them that had pneumonia (y), with its 95% interval; on the "
                       "dotted line the stated probability would be exact. Points below it: "
                       "the model overstated pneumonia for those images; above: understated.")


#: Height (pixels) of each image panel, so the three panels side by side are one size.
PANEL_HEIGHT = 340
#: Frames enlarged at least this many times are drawn as sharp squares (nearest neighbour).
SHARP_FACTOR = 4


def _picture(image: np.ndarray, **overlay: Any) -> None:
    """One panel: the frame (with ``overlay``, :func:`scan_image`'s arguments) drawn at the
    panel's own size, ``PANEL_HEIGHT`` pixels high, and sent as a lossless PNG that
    ``st.image`` passes on untouched. Given a picture wider than the width it is told,
    ``st.image`` would resize it (bilinear) and re-encode it as a JPEG (its "auto" format for
    RGB): compression artefacts on a radiograph and its map, and ~10 ms a panel of decoding and
    encoding. A frame at least :data:`SHARP_FACTOR` times smaller than the panel (the 28 x 28
    model input) is enlarged last, each pixel (and map cell) a sharp square; others are
    resampled smoothly (Lanczos), as a viewer shows a 128 x 128 CT slice.

    Pictures, not plotly charts: the page then needs no chart library in the browser (megabytes
    to load, and a redraw per change), and the clinician can still open each one full-screen."""
    import io

    from PIL import Image

    rows, columns = image.shape[:2]
    width = max(1, round(PANEL_HEIGHT * columns / rows))
    picture = Image.fromarray(scan_image(image, max_side=max(width, PANEL_HEIGHT), min_side=1,
                                         **overlay))
    if picture.size != (width, PANEL_HEIGHT):
        resample = (Image.Resampling.NEAREST if picture.height * SHARP_FACTOR <= PANEL_HEIGHT
                    else Image.Resampling.LANCZOS)
        picture = picture.resize((width, PANEL_HEIGHT), resample)
    png = io.BytesIO()                   # lossless; level 1: ~5 ms where level 6 takes ~10
    picture.save(png, format="PNG", compress_level=1)
    st.image(png.getvalue(), width=width, output_format="PNG")


def _show_images(scan: Any, frame: int, x: np.ndarray, attribution: np.ndarray | None,
                 window: ModelWindow) -> None:
    model_view = x[0, :, :, 0].astype(np.uint8)
    film = scan.display(frame)
    opacity = 0.0
    if attribution is not None:
        opacity = st.slider("Map opacity (right panel)", 0.0, 1.0, 0.6, 0.05,
                            key="image_dx_opacity")
    left, middle, right = st.columns(3)
    with left:
        st.markdown("**As uploaded** (the scan's own window)")
        _picture(film)
        rows, columns = scan.pixels.shape[1:3]
        st.caption(f"{escape_markdown(scan.modality)}, {rows} x {columns} pixels"
                   + (f", frame {frame + 1} of {scan.n_frames}" if scan.n_frames > 1 else ""))
    with middle:
        st.markdown("**What the model sees** (28 x 28)")
        _picture(model_view)
        st.caption(f"Model-input window: {window.description} Steps: grey-scale, this window "
                   "onto 0..255, centre square, resize to 28 x 28 "
                   "(medcore.imaging.to_model_input).")
    if attribution is None:
        return
    with right:
        st.markdown("**What moved the score**, on the film")
        _picture(film, overlay=attribution, overlay_opacity=opacity,
                 overlay_box=model_square(scan))
        st.caption(words.map_caption())


def render(spec: ModelSpec) -> None:
    """The image half of the Diagnosis page."""
    name = spec.name
    if common.model_unavailable(name):
        return
    scan, label = _choose_scan()
    if scan is None:
        common.model_card_expander(name)
        return
    st.markdown(f"**Assessing:** {escape_markdown(label)}")
    try:
        frame = scan_view.frame_control(scan, key="image_dx")
        window = model_window(scan, frame)
        x = to_model_input(scan, frame=frame, window=window.window)
        card = registry.load_card(name)
        assessment = assess(scan, frame, model_input=x, card=card)
        with st.spinner("Assessing the image..."):
            prediction = _predict(name, x)
    except MedcoreError as exc:
        common.show_error(exc)
        return
    source = audit_trail.source_of_input(state.SCAN, scan)
    audit_trail.prediction_shown(name, "Diagnosis", source, x)
    if assessment.assessable:
        _result(prediction, card, assessment)
        _operating_point(card)
        _calibration(card)
    else:
        _not_assessable(assessment, prediction)
    _population(card)
    reference = scan.metadata.get("reference_label")
    if reference:
        st.caption(f"Data-set label of this sample: **{escape_markdown(reference)}**.")
    attribution = None
    if assessment.assessable:
        try:
            with st.spinner("Computing the map of what moved the score..."):
                attribution = _attribution(name, x)
        except MedcoreError as exc:
            common.show_error(exc)
            return
    _show_images(scan, frame, x, attribution, window)
    report_button.render(name, scan, page="Diagnosis", key="image_dx", audit_source=source,
                         frame=frame, prevalence=words.chosen_prevalence(
                             st.session_state.get("image_dx_prevalence")))
    common.model_card_expander(name)
