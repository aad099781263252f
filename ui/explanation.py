"""The Explanation page's body."""
from __future__ import annotations

import streamlit as st


def render() -> None:
    st.info("Explanations are not built yet; this page will explain each model's prediction "
            "once the models and `medcore.explain` are in place.")
