"""Upload: scans and patient records in, clear errors out."""
from __future__ import annotations

import streamlit as st

st.title("Upload")
st.info("Uploading is not built yet.")
