"""A page's model sections, from the registry: one tab per model that has a section there.

Each section is a ``ui`` module with ``render(spec)`` (named by the spec's
:class:`~medcore.registry.Section`), so a new model's section appears on its page without
editing the page.
"""
from __future__ import annotations

import importlib

import streamlit as st

from medcore import registry


def render_page(page: str) -> None:
    """One tab per model shown on ``page`` (in the page's tab order), each drawn by its section's
    renderer."""
    specs = registry.specs(page=page)
    if not specs:
        st.info(f"No model has a section on the {page} page yet.")
        return
    tabs = st.tabs([spec.section(page).tab for spec in specs])
    for tab, spec in zip(tabs, specs):
        with tab:
            importlib.import_module(spec.section(page).renderer).render(spec)
