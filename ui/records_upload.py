"""The Upload page's records half."""
from __future__ import annotations

import streamlit as st


def render() -> None:
    st.info("Records upload is not built yet.")
