"""The Explanation page's section of one model: the sentence and the chart first, a short "How
to read this" after, the global view on demand, the method in a collapsed "Technical details".

The page has one such section per model whose spec has one (:mod:`ui.sections`); what is
explained, in which units, and where the clinician makes the input come from the spec.
Only the open tab's section runs (:func:`ui.sections.render_page`).
Explainers, global views and the partial-dependence sweeps are built once per server
(``st.cache_resource``; SHAP on the one cached Keras model of :func:`ui.common.keras_model`, a
visit history on the served LiteRT model without TensorFlow); explanations are cached per
(model, target, input bytes) (``st.cache_data``), and are deterministic (seeded).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from medcore import registry
from medcore.errors import MedcoreError
from medcore.imaging import Scan, scan_label
from medcore.registry import ModelSpec
from medcore.safe_text import escape_markdown
from medcore.plots import palette
from ui import audit_trail, common, report_button, state

GLOBAL_SAMPLE = 100
#: Test images the CNN calls pneumonia, for the page's mean |SHAP| map and deletion curves.
IMAGE_GLOBAL_SAMPLE = 12
#: Units drawn in percentage points: the outputs a clinician reads on the page; the others
#: (log-risk, log-odds) only under "Technical details".
POINTS = ("probability", "survival probability")

_COLOURS = (f"orange = {palette.WORSE_LABEL}, blue = {palette.BETTER_LABEL}, whatever the "
            "outcome on the axis")
#: The short "How to read this" of each kind of input, shown after the chart.
HOW_TO_READ = {
    "tabular": (
        "**How to read this.** Each bar is how much one input moved this patient's estimate "
        "away from the average of the patients the model learnt from, in percentage points "
        f"(pp) of the outcome on the axis; the bars add up to this patient's estimate. Colour: "
        f"{_COLOURS}. It describes the model, not the patient's biology: it is not causal."),
    "sequence": (
        "**How to read this.** Each biomarker counts twice: its value at the latest visit "
        "(*now*) and its values at the earlier visits (the *history*, the trend). Each bar is "
        "how much that moved the estimate, in percentage points (pp) of the outcome on the "
        "axis, away from one fixed comparison: the average estimate of the patients the model "
        f"learnt from, the same for every patient. Colour: {_COLOURS}. It describes the model, "
        "not the patient's biology: it is not causal."),
    "image": (
        "**How to read this.** The coloured pixels moved the probability of pneumonia away "
        f"from the average training image: {_COLOURS}. Grad-CAM shows where the network's last "
        "convolution looked; it has no direction and no unit. It shows where the model looked, "
        "not a finding, and it is not causal."),
}


@st.cache_resource(show_spinner=False)
def _explainer(name: str, target: str) -> Any:
    """One explainer per (model, target) per server; a visit-history model's needs no Keras
    (it runs the served model)."""
    from medcore.explain.models import build_explainer, uses_keras

    model = common.keras_model(name) if uses_keras(name) else None
    with st.spinner("Preparing the explainer (first use only)..."):
        return build_explainer(name, target, model=model)


@st.cache_data(show_spinner=False, max_entries=64)
def _explain(name: str, target: str, x: np.ndarray) -> Any:
    return _explainer(name, target).explain(x)


@st.cache_data(show_spinner=False)
def _test_inputs(name: str) -> np.ndarray:
    from medcore.explain.models import test_sample

    return test_sample(name)


@st.cache_resource(show_spinner=False)
def _global(name: str, target: str) -> Any:
    """The global explanation of a test sample: computed once per server."""
    from medcore.explain.models import test_sample

    return _explainer(name, target).explain_global(test_sample(name, GLOBAL_SAMPLE))


@st.cache_resource(show_spinner=False)
def _learnt(name: str, target: str) -> list:
    """The model's own direction per input with a known direction (partial dependence), once
    per server."""
    from medcore.explain.models import learnt_directions

    return learnt_directions(name, target, _explainer(name, target))


@st.cache_resource(show_spinner=False)
def _image_global(name: str, target: str) -> tuple[np.ndarray, int, dict]:
    from medcore.explain.core import scalar_output
    from medcore.explain.faithfulness import image_faithfulness
    from medcore.explain.models import positive_sample, test_sample

    explainer = _explainer(name, target)
    images = test_sample(name)
    sample = images[positive_sample(scalar_output(explainer.model, images), IMAGE_GLOBAL_SAMPLE)]
    maps, curves = image_faithfulness(explainer, sample)
    return np.abs(maps).mean(axis=0), len(sample), curves


def render(spec: ModelSpec) -> None:
    """The section of one model (a tab of the Explanation page)."""
    try:
        _section(spec)
    except MedcoreError as exc:
        common.show_error(exc)


def _input(spec: ModelSpec) -> np.ndarray | None:
    """The other pages' input for this model, else a test-set example the user picks."""
    from medcore.explain.models import patient_input

    name = spec.name
    source = st.session_state.get(state.input_key(spec))
    if source is not None:
        st.caption(f"Explaining the input from {spec.where(spec.input_page)}.")
        if isinstance(source, Scan):
            named = scan_label(source, st.session_state.get(state.SCAN_NAME) or "")
            st.markdown(f"**Explaining:** {escape_markdown(named)}")
        assess = getattr(registry.model_module(name), "assess_input", None)
        assessment = assess(source, registry.load_card(name)) if assess else None
        if assessment is not None and not assessment.assessable:
            common.not_assessable(assessment.reasons, assessment.cautions)
            st.caption("An explanation of an output that means nothing would mean nothing "
                       "too: nothing is explained for this input.")
            return None
        return patient_input(name, source)
    inputs = _test_inputs(name)
    st.info(f"Nothing to explain from the other pages yet: {spec.input_where()} to explain "
            "your own input. Meanwhile, here is an example from the test split.",
            icon=":material/info:")
    index = st.number_input(f"Test example (0 to {len(inputs) - 1})", min_value=0,
                            max_value=len(inputs) - 1, value=0, step=1, key=f"example_{name}")
    return inputs[int(index)]


def _main_targets(spec: ModelSpec) -> list:
    """The targets in percentage points (what the page shows first); all when none is."""
    return [t for t in spec.explain_targets if t.output_unit in POINTS] or \
        list(spec.explain_targets)


def _section(spec: ModelSpec) -> None:
    name = spec.name
    if common.model_unavailable(name):
        return
    x = _input(spec)
    if x is None:
        return
    x = np.ascontiguousarray(x, dtype=np.float32)
    targets = _main_targets(spec)
    target = targets[0].name
    if len(targets) > 1:
        labels = {t.name: t.label for t in targets}
        target = st.radio("Explain", list(labels), format_func=labels.get, horizontal=True,
                          key=f"target_{name}")
    with st.spinner("Explaining..."):
        explanation = _explain(name, target, x)
    key = state.input_key(spec)
    audit_trail.prediction_shown(name, "Explanation",
                                 audit_trail.source_of_input(key, st.session_state.get(key)), x)
    kind = spec.kind.input_kind
    _sentence(explanation)
    if kind == "tabular":
        _tabular(explanation)
    elif kind == "image":
        _image(explanation, name, st.session_state.get(key))
    else:
        _sequence(explanation)
    learnt = [] if kind == "image" else _learnt(name, target)
    _against_medicine(spec, target, learnt)
    st.markdown(HOW_TO_READ[kind])
    report_button.render(name, st.session_state.get(key), page="Explanation",
                         key=f"explanation_{name}", audit_source=audit_trail.source_of(key))
    if kind == "image":
        _image_global_section(name, target)
    else:
        _global_section(name, target)
    _technical_details(spec, target, explanation, x, learnt)
    common.model_card_expander(name)


def _sentence(explanation: Any) -> None:
    from medcore.explain import describe_in_words

    st.markdown(describe_in_words(explanation, top=3))


def _tabular(explanation: Any) -> None:
    from medcore.plots.explanation import waterfall

    st.plotly_chart(waterfall(explanation), key=f"waterfall_{explanation.model_name}")


def _image(explanation: Any, name: str, source: Any = None) -> None:
    """The attribution over the image; over the uploaded film itself (its own resolution, on
    the square the model read) when the input is a scan from the other pages."""
    from medcore.plots.explanation import image_overlay

    layers = ["shap"] + (["grad_cam"] if "grad_cam" in explanation.extras else [])
    left, right = st.columns(2)
    layer = left.radio("Overlay", layers, horizontal=True, key=f"overlay_{name}",
                       format_func={"shap": "SHAP", "grad_cam": "Grad-CAM"}.get)
    opacity = right.slider("Overlay opacity", 0.0, 1.0, 0.5, 0.05, key=f"opacity_{name}")
    if not isinstance(source, Scan):
        st.plotly_chart(image_overlay(explanation, layer=layer, opacity=opacity),
                        key=f"overlay_chart_{name}")
        return
    from medcore.imaging import model_square
    from medcore.plots.images import scan_figure

    signed = layer == "shap"
    overlay = (100.0 * np.asarray(explanation.attributions) if signed       # percentage points
               else explanation.extras["grad_cam"])
    st.plotly_chart(scan_figure(source.display(), overlay=overlay, overlay_opacity=opacity,
                                overlay_box=model_square(source), overlay_signed=signed,
                                overlay_label="pp" if signed else "Grad-CAM", height=480),
                    key=f"overlay_chart_{name}")
    st.caption(("SHAP on the film, over the square the model read: "
                f"orange {palette.WORSE_LABEL} (raised the probability of pneumonia), blue "
                f"{palette.BETTER_LABEL} (lowered it).") if signed else
               ("Grad-CAM of the last convolution on the film, over the square the model read "
                "(bright = more); its deletion curve is barely better than a random order's."))


def _sequence(explanation: Any) -> None:
    from medcore.plots.explanation import latest_and_history, waterfall

    st.plotly_chart(latest_and_history(explanation),
                    key=f"history_{explanation.model_name}")
    st.plotly_chart(waterfall(explanation), key=f"waterfall_{explanation.model_name}")


def _title(spec: ModelSpec, feature: str) -> str:
    from medcore.explain.words import feature_label, schema_for

    return feature_label(feature, schema_for((feature,), spec), spec)


def _against_medicine(spec: ModelSpec, target_name: str, learnt: list) -> None:
    """Say plainly, per input, where the model itself learnt the opposite of what is known;
    in one line, where it barely uses an input with a known direction."""
    from medcore.explain.words import format_contribution

    if not learnt:
        return
    target = spec.target(target_name)
    for d in learnt:
        if d.verdict == "opposite":
            st.warning(
                f"**{_title(spec, d.feature)}: this model learnt the opposite of what is known** "
                f"({d.known.reason}). Over the patients it learnt from, going from "
                f"{d.grid[0]:.3g} to {d.grid[-1]:.3g} moves its estimate by "
                f"{format_contribution(d.change, target.output_unit)}. Do not read its bar "
                "for this input as medicine.", icon=":material/warning:")
    flat = [d for d in learnt if d.verdict == "flat"]
    agree = [d for d in learnt if d.verdict == "agrees"]
    line = (f"Checked against what is known: the model moves its estimate the known way for "
            f"{len(agree)} of {len(learnt)} inputs with a known direction")
    if flat:
        line += ("; it barely uses " + ", ".join(
            f"{_title(spec, d.feature).lower()} ({format_contribution(d.change, target.output_unit)}"
            " across its range)" for d in flat))
    st.caption(line + ". Details under Technical details.")


def _technical_details(spec: ModelSpec, target: str, explanation: Any, x: np.ndarray,
                       learnt: list) -> None:
    """Method, reference, residual, the partial-dependence sweep and the views in other units
    (log-risk, log-odds), collapsed."""
    box = common.lazy_expander("Technical details", key=f"technical_open_{spec.name}")
    if box is None:
        return
    with box:
        e = explanation
        st.markdown(f"**Method:** {e.method}. **Output explained:** {e.output_name} "
                    f"({_output_note(spec)}).")
        st.markdown(f"Reference (base value) {e.base_value:.4f}, output {e.output:.4f}, "
                    f"additivity residual {e.residual:+.2e} (output - reference - sum of the "
                    "attributions).")
        if learnt:
            _sweep_table(spec, target, learnt)
        others = [t for t in spec.explain_targets if t not in _main_targets(spec)]
        for other in others:
            if st.toggle(f"Show the {other.label} view", key=f"technical_{spec.name}_{other.name}"):
                from medcore.explain import describe_in_words
                from medcore.plots.explanation import waterfall

                view = _explain(spec.name, other.name, x)
                st.markdown(describe_in_words(view, top=3))
                st.plotly_chart(waterfall(view), key=f"waterfall_{spec.name}_{other.name}")


def _output_note(spec: ModelSpec) -> str:
    if spec.kind.input_kind == "sequence":
        return (f"the served model's output after the recalibration in its model card, the "
                f"number {spec.where(spec.input_page)} shows; Shapley values of each "
                "biomarker's latest value and history, no gradients")
    return "the network's own output, through its Keras model (SHAP needs gradients)"


def _sweep_table(spec: ModelSpec, target: str, learnt: list) -> None:
    import pandas as pd

    from medcore.explain.words import format_contribution

    unit = spec.target(target).output_unit
    st.markdown("**Partial dependence of the model itself** (each input swept over the "
                "reference patients' range, everything else kept; mean estimate):")
    common.upload_table(pd.DataFrame({
        "input": [_title(spec, d.feature) for d in learnt],
        "known": [d.known.reason for d in learnt],
        "swept from": [f"{d.grid[0]:.3g}" for d in learnt],
        "to": [f"{d.grid[-1]:.3g}" for d in learnt],
        "change in the estimate": [format_contribution(d.change, unit) for d in learnt],
        "the model": [d.verdict for d in learnt]}), hide_index=True)


def _global_section(name: str, target: str) -> None:
    from medcore.explain.words import with_titles
    from medcore.plots.explanation import beeswarm, dependence, mean_abs_bar

    if not st.toggle("Show the global view (test patients, computed once per server)",
                     key=f"global_{name}"):
        return
    with st.spinner("Explaining the test patients (first time only)..."):
        g = with_titles(_global(name, target))              # clinical titles on axes
    st.plotly_chart(mean_abs_bar(g), key=f"bar_{name}")
    st.plotly_chart(beeswarm(g), key=f"beeswarm_{name}")
    order = list(np.argsort(-g.mean_abs))
    feature = st.selectbox("Dependence plot for", [g.feature_names[i] for i in order],
                           key=f"dependence_{name}")
    st.plotly_chart(dependence(g, feature), key=f"dependence_chart_{name}")


def _image_global_section(name: str, target: str) -> None:
    from medcore.plots.explanation import deletion_plot, mean_abs_map

    if not st.toggle(f"Show the global view and faithfulness ({IMAGE_GLOBAL_SAMPLE} test images "
                     "the model calls pneumonia, computed once per server)",
                     key=f"global_{name}"):
        return
    with st.spinner("Explaining the test images (first time only)..."):
        mean_abs, count, curves = _image_global(name, target)
    st.plotly_chart(mean_abs_map(mean_abs, count), key=f"mean_map_{name}")
    st.caption("Deletion curves: the most-attributed pixels are replaced by the mean training "
               "image first; a faithful map makes the probability fall faster (smaller area) "
               "than a random order. Full test-split figures: `python -m medcore bench --only "
               "explain --json`.")
    output = registry.spec(name).target(target).output_name
    for label, title in (("shap", "SHAP order"), ("grad_cam", "Grad-CAM order"),
                         ("gradient_input", "Gradient x difference order (the Diagnosis "
                                            "page's map)")):
        if label in curves:
            st.plotly_chart(deletion_plot(curves[label], label=title, output_name=output),
                            key=f"deletion_{label}_{name}")
