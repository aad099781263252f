"""A page's model sections, from the registry: one tab per model that has a section there.

Each section is a ``ui`` module with ``render(spec)`` (named by the spec's
:class:`~medcore.registry.Section`), so a new model's section appears on its page without
editing the page.
"""
from __future__ import annotations

import importlib

import streamlit as st

from medcore import registry


def _remember_tab(key: str, chosen: str) -> None:
    st.session_state[chosen] = st.session_state[key]


def render_page(page: str) -> None:
    """One tab per model shown on ``page`` (in the page's tab order), drawn by its section's
    renderer. Only the open tab's renderer runs: Streamlit reruns the page when the clinician
    switches tabs (``on_change``), so a page costs one model's section, not all of them."""
    specs = registry.specs(page=page)
    if not specs:
        st.info(f"No model has a section on the {page} page yet.")
        return
    labels = [spec.section(page).tab for spec in specs]
    chosen = f"{page}_tab_chosen"                # kept across pages (a tab's own state is not)
    key = f"{page}_tab"
    remembered = st.session_state.get(chosen)
    tabs = st.tabs(labels, key=key, default=remembered if remembered in labels else None,
                   on_change=_remember_tab, args=(key, chosen))
    for tab, spec in zip(tabs, specs):
        if tab.open is False:          # only the tab on screen runs (on_change makes tabs lazy)
            continue
        with tab:
            importlib.import_module(spec.section(page).renderer).render(spec)
