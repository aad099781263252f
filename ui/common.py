"""Pieces every page uses: the disclaimer, model cards, cached model loading, error display."""
from __future__ import annotations

import json
from typing import Any

import streamlit as st

from medcore import RESEARCH_USE_DISCLAIMER, registry
from medcore.errors import MedcoreError
from medcore.safe_text import markdown_message

#: What a model is loaded for: predictions (the serving model, called only) or gradients
#: (the Keras model: SHAP, Grad-CAM).
SERVING, GRADIENTS = "serving", "gradients"


def disclaimer() -> None:
    """The research-use disclaimer, shown on every page that shows a prediction."""
    st.caption(f":warning: {RESEARCH_USE_DISCLAIMER}")


def lazy_expander(label: str, *, key: str, **kwargs: Any) -> Any:
    """A collapsed expander whose content runs only when it is open: returns its container, or
    None while it is closed. Opening or closing it reruns the page (``on_change="rerun"``), so
    closed content costs neither the server (figures built) nor the browser (charts drawn) on
    every run; tests open it with ``at.session_state[key] = True``."""
    box = st.expander(label, key=key, on_change="rerun", **kwargs)
    return box if box.open else None


def show_error(error: MedcoreError) -> None:
    """Show a medcore error as a message (never a traceback), as plain text.

    Messages quote file names, cells, headers and DICOM fields from uploads: every character
    that Markdown would read is escaped (:func:`medcore.safe_text.markdown_message`), so a cell
    ``![x](http://host/p.png)`` shows as written and the browser fetches nothing.
    """
    st.error(markdown_message(error), icon=":material/error:")


def show_warning(text: str) -> None:
    """Show a warning built from data (training-range checks, scan checks) as plain text."""
    st.warning(markdown_message(text), icon=":material/warning:")


#: What a page says instead of a verdict where the model cannot judge the input.
NOT_ASSESSABLE = "Not assessable by this model"


def not_assessable(reasons, cautions=()) -> None:
    """"Not assessable by this model" and why, in a plain box: no verdict, no coloured call."""
    with st.container(border=True):
        st.subheader(NOT_ASSESSABLE)
        st.markdown("\n".join(f"- {markdown_message(text)}" for text in (*reasons, *cautions)))


def upload_table(frame, **kwargs) -> None:
    """``st.dataframe`` of a table holding text from an upload.

    Streamlit's table toolbar offers "Download as CSV", which writes text cells as they are:
    a cell ``=HYPERLINK(...)`` would be a formula in the clinician's spreadsheet. Text cells
    starting with ``=``, ``+``, ``-``, ``@`` are shown (and so exported) with a leading
    apostrophe, as spreadsheets write them (:func:`medcore.records.escape_formulas`); numbers
    are untouched.
    """
    from medcore.records import escape_formulas

    st.dataframe(escape_formulas(frame), **kwargs)


@st.cache_resource(show_spinner=False)
def _loaded(name: str, purpose: str, models_dir: str) -> Any:
    """The one cache of models: each file is read once per process. The serving model is the
    LiteRT export (``NAME.tflite``, no TensorFlow); TensorFlow is imported here only when the
    Keras model is first needed for gradients."""
    if purpose == GRADIENTS:
        title = registry.spec(name).title.lower()
        with st.spinner(f"Loading the model for {title} (first use only)..."):
            return registry.load_model(name, models_dir)
    return registry.serving_model(name, models_dir)


def serving_model(name: str) -> Any:
    """The model that answers predictions (``model(x) -> {output: ndarray}``, with its card;
    LiteRT, see :func:`medcore.registry.serving_model`), loaded once per process."""
    return _loaded(name, SERVING, str(registry.models_folder()))


@st.cache_resource(show_spinner=False)
def _gradient_map(name: str, models_dir: str) -> Any:
    return registry.load_gradient_map(name, models_dir)


def gradient_map(name: str) -> Any:
    """An image model's gradient x difference map run by LiteRT (``images -> maps``; see
    :func:`medcore.registry.load_gradient_map`), loaded once per process: no TensorFlow."""
    return _gradient_map(name, str(registry.models_folder()))


def keras_model(name: str) -> Any:
    """The Keras model, for gradients (SHAP, Grad-CAM), loaded once per process."""
    return _loaded(name, GRADIENTS, str(registry.models_folder()))


def model_unavailable(name: str) -> bool:
    """Say so in one line and return True when a model has not been trained and shipped yet."""
    if registry.is_available(name):
        return False
    st.info(f"The `{name}` model is not built yet; this section will show its predictions once "
            f"`python -m medcore train {name}` has been run and the model shipped.")
    return True


def model_card_expander(name: str) -> None:
    """The model card at hand: what it is, who it learnt from, what it must not be used for,
    its data and its last evaluation, in an expander."""
    try:
        card = registry.load_card(name)
    except MedcoreError as exc:
        show_error(exc)
        return
    box = lazy_expander(f"Model card: {registry.spec(name).title.lower()}",
                        key=f"card_open_{name}")
    if box is None:
        return
    with box:
        st.markdown(card.model_details.summary)
        st.markdown(f"**Intended use:** {card.intended_use.primary_uses}")
        st.markdown(f"**Must not be used for:** {card.intended_use.out_of_scope_uses}")
        st.markdown(f"**Learnt from:** {card.factors.population}")
        st.markdown("**Data**")
        st.json({"training": card.training_data.description,
                 "evaluation": card.evaluation_data.description,
                 **card.training_data.details}, expanded=False)
        if card.evaluation:
            st.markdown("**Last evaluation** (`python -m medcore evaluate "
                        f"{name} --json`)")
            st.json(card.evaluation, expanded=False)
        st.download_button("Download the full model card (JSON)",
                           data=json.dumps(card.to_dict(), indent=2), file_name=f"{name}.json",
                           mime="application/json", key=f"card_download_{name}")
