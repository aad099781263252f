"""Pieces every page uses: the disclaimer, model cards, cached model loading, error display."""
from __future__ import annotations

import json
from typing import Any

import streamlit as st

from medcore import RESEARCH_USE_DISCLAIMER, registry
from medcore.errors import MedcoreError
from medcore.safe_text import markdown_message


def disclaimer() -> None:
    """The research-use disclaimer, shown on every page that shows a prediction."""
    st.caption(f":warning: {RESEARCH_USE_DISCLAIMER}")


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
def load_model(name: str) -> Any:
    """Load a shipped model once per process (TensorFlow is imported here, on first need)."""
    with st.spinner(f"Loading the {name} model (first use only)..."):
        return registry.load_model(name)


def model_unavailable(name: str) -> bool:
    """Say so in one line and return True when a model has not been trained and shipped yet."""
    if registry.is_available(name):
        return False
    st.info(f"The `{name}` model is not built yet; this section will show its predictions once "
            f"`python -m medcore train {name}` has been run and the model shipped.")
    return True


def model_card_expander(name: str) -> None:
    """The model card at hand: data, splits, metrics, intended use, in an expander."""
    try:
        card = registry.load_card(name)
    except MedcoreError as exc:
        show_error(exc)
        return
    with st.expander(f"Model card: {name}"):
        for key, heading in (("summary", None), ("intended_use", "Intended use"),
                             ("not_for", "Must not be used for")):
            if card.get(key):
                st.markdown(f"**{heading}:** {card[key]}" if heading else card[key])
        if card.get("data"):
            st.markdown("**Data**")
            st.json(card["data"], expanded=False)
        if card.get("evaluation"):
            st.markdown("**Last evaluation** (`python -m medcore evaluate "
                        f"{name} --json`)")
            st.json(card["evaluation"], expanded=False)
        st.download_button("Download the full model card (JSON)",
                           data=json.dumps(card, indent=2), file_name=f"{name}.json",
                           mime="application/json", key=f"card_download_{name}")
