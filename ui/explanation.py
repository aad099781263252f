"""The Explanation page's section of one model: local explanation first, global on demand.

The page has one such section per model whose spec has one (:mod:`ui.sections`); what is
explained, in which units, and where the clinician makes the input come from the spec.
Explainers are built once per process (``st.cache_resource``, on the one cached Keras model of
:func:`ui.common.keras_model`); explanations are cached per (model, target, input bytes)
(``st.cache_data``), and are deterministic (seeded).
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
from ui import audit_trail, common, report_button, state

GLOBAL_SAMPLE = 100
#: Test images the CNN calls pneumonia, for the page's mean |SHAP| map and deletion curves.
IMAGE_GLOBAL_SAMPLE = 12

HOW_TO_READ = """
**How to read this.** A SHAP value is how much one input moved this prediction away from the
**average prediction over a sample of training patients** (the *base value*, "average patient").
Red (positive) pushed the output up, blue (negative) pushed it down; base value + all SHAP values
= the prediction (the *residual* shows how exactly that holds: 0 for the tabular models, which use
DeepExplainer; a small Monte-Carlo error for images and visit histories, which use expected
gradients). Probabilities are in percentage points (pp), the DeepSurv log-risk in log hazard
ratio. **SHAP describes the model, not the patient's biology**: it is not causal, and changing an
input in real life need not change the risk as the chart suggests. Grad-CAM shows where the
network's last convolution looked; it has no sign and no units.
"""


@st.cache_resource(show_spinner=False)
def _explainer(name: str, target: str) -> Any:
    from medcore.explain.models import build_explainer

    model = common.keras_model(name)
    with st.spinner("Preparing the explainer (first use only)..."):
        return build_explainer(name, target, model=model)


@st.cache_data(show_spinner=False, max_entries=64)
def _explain(name: str, target: str, x: np.ndarray) -> Any:
    return _explainer(name, target).explain(x)


@st.cache_data(show_spinner=False)
def _test_inputs(name: str) -> np.ndarray:
    from medcore.explain.models import test_sample

    return test_sample(name)


@st.cache_data(show_spinner=False)
def _global(name: str, target: str) -> Any:
    from medcore.explain.models import test_sample

    return _explainer(name, target).explain_global(test_sample(name, GLOBAL_SAMPLE))


@st.cache_data(show_spinner=False)
def _image_global(name: str, target: str) -> tuple[np.ndarray, int, dict]:
    from medcore.explain.core import scalar_output
    from medcore.explain.faithfulness import image_faithfulness
    from medcore.explain.models import positive_sample, test_sample

    explainer = _explainer(name, target)
    images = test_sample(name)
    sample = images[positive_sample(scalar_output(explainer.model, images), IMAGE_GLOBAL_SAMPLE)]
    maps, curves = image_faithfulness(explainer, sample)
    return np.abs(maps).mean(axis=0), len(sample), curves


def how_to_read() -> None:
    """The page's introduction: what SHAP values and Grad-CAM maps are, and are not."""
    st.markdown(HOW_TO_READ)


def render(spec: ModelSpec) -> None:
    """The section of one model (a tab of the Explanation page)."""
    try:
        _section(spec)
    except MedcoreError as exc:
        common.show_error(exc)


def _input(spec: ModelSpec) -> np.ndarray | None:
    """The other pages' input for this model, else a test-set example the user picks."""
    from medcore.explain.models import patient_input

    name, where = spec.name, spec.input_hint
    source = st.session_state.get(state.input_key(spec))
    if source is not None:
        st.caption(f"Explaining the input from the other pages ({where.split(' on ')[-1]}).")
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
    st.info(f"Nothing to explain from the other pages yet: {where} to explain your own input. "
            f"Meanwhile, here is an example from the test split.", icon=":material/info:")
    index = st.number_input(f"Test example (0 to {len(inputs) - 1})", min_value=0,
                            max_value=len(inputs) - 1, value=0, step=1, key=f"example_{name}")
    return inputs[int(index)]


def _section(spec: ModelSpec) -> None:
    name = spec.name
    if common.model_unavailable(name):
        return
    x = _input(spec)
    if x is None:
        return
    targets = {t.name: t.label for t in spec.explain_targets}
    target = spec.target().name
    if len(targets) > 1:
        target = st.radio("Explain", list(targets), format_func=targets.get, horizontal=True,
                          key=f"target_{name}")
    with st.spinner("Explaining..."):
        explanation = _explain(name, target, np.ascontiguousarray(x, dtype=np.float32))
    key = state.input_key(spec)
    audit_trail.prediction_shown(name, "Explanation",
                                 audit_trail.source_of_input(key, st.session_state.get(key)), x)
    kind = spec.kind.input_kind
    if kind == "tabular":
        _tabular(explanation)
    elif kind == "image":
        _image(explanation, name, st.session_state.get(key))
    else:
        _sequence(explanation)
    report_button.render(name, st.session_state.get(key), page="Explanation",
                         key=f"explanation_{name}", audit_source=audit_trail.source_of(key))
    if kind == "image":
        _image_global_section(name, target)
    else:
        _global_section(name, target)
    common.model_card_expander(name)


def _sentence_and_residual(explanation: Any) -> None:
    from medcore.explain import describe_in_words

    st.markdown(describe_in_words(explanation, top=3))
    st.caption(f"Method: {explanation.method}. Base value {explanation.base_value:.4f}, output "
               f"{explanation.output:.4f}, additivity residual {explanation.residual:+.2e} "
               f"(output - base - sum of SHAP values).")


def _tabular(explanation: Any) -> None:
    from medcore.plots.explanation import waterfall

    _sentence_and_residual(explanation)
    st.plotly_chart(waterfall(explanation), key=f"waterfall_{explanation.model_name}")


def _image(explanation: Any, name: str, source: Any = None) -> None:
    """The attribution over the image; over the uploaded film itself (its own resolution, on
    the square the model read) when the input is a scan from the other pages."""
    from medcore.plots.explanation import image_overlay

    _sentence_and_residual(explanation)
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
    from medcore.plots import palette
    from medcore.plots.images import scan_figure

    signed = layer == "shap"
    overlay = explanation.attributions if signed else explanation.extras["grad_cam"]
    st.plotly_chart(scan_figure(source.display(), overlay=overlay, overlay_opacity=opacity,
                                overlay_box=model_square(source), overlay_signed=signed,
                                overlay_label="SHAP" if signed else "Grad-CAM", height=480),
                    key=f"overlay_chart_{name}")
    st.caption(("SHAP (expected gradients) on the film, over the square the model read: "
                f"orange {palette.WORSE_LABEL} (raised the probability), blue "
                f"{palette.BETTER_LABEL} (lowered it).") if signed else
               ("Grad-CAM of the last convolution on the film, over the square the model read "
                "(bright = more); its deletion curve is barely better than a random order's."))


def _sequence(explanation: Any) -> None:
    from medcore.explain.words import with_titles
    from medcore.plots.explanation import sequence_heatmap, waterfall

    _sentence_and_residual(explanation)
    st.plotly_chart(sequence_heatmap(with_titles(explanation)),       # clinical titles on axes
                    key=f"heatmap_{explanation.model_name}")
    st.plotly_chart(waterfall(explanation), key=f"waterfall_{explanation.model_name}")


def _global_section(name: str, target: str) -> None:
    from medcore.explain.words import with_titles
    from medcore.plots.explanation import beeswarm, dependence, mean_abs_bar

    if not st.toggle("Show the global explanation (test split sample, computed once)",
                     key=f"global_{name}"):
        return
    with st.spinner("Explaining the test sample (first time only)..."):
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
                     "the model calls pneumonia, computed once)", key=f"global_{name}"):
        return
    with st.spinner("Explaining the test images (first time only)..."):
        mean_abs, count, curves = _image_global(name, target)
    st.plotly_chart(mean_abs_map(mean_abs, count), key=f"mean_map_{name}")
    st.caption("Deletion curves: the most-attributed pixels are replaced by the mean training "
               "image first; a faithful map makes the score fall faster (smaller area) than a "
               "random order. Full test-split figures: `python -m medcore bench --only explain "
               "--json`.")
    for label, title in (("shap", "SHAP order"), ("grad_cam", "Grad-CAM order"),
                         ("gradient_input", "Gradient x difference order (the Diagnosis "
                                            "page's map)")):
        if label in curves:
            st.plotly_chart(deletion_plot(curves[label], label=title),
                            key=f"deletion_{label}_{name}")
