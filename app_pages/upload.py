"""Upload: scans and patient records in, clear errors out.

Thin: the scans half is :mod:`ui.scan_upload`, the records half :mod:`ui.records_upload`. A bad
upload leaves the last good scan or records in place; uploaded bytes stay in memory.
"""
from __future__ import annotations

import streamlit as st

from ui import records_upload, scan_upload
from ui.auth import require_sign_in

require_sign_in()  # first: a page opened by its URL shows nothing before sign-in

st.title("Upload")
st.caption("Scans and patient records in; clear errors out. Nothing is written to disk.")
scans, records = st.tabs(["Scans", "Patient records"])
with scans:
    scan_upload.render()
with records:
    records_upload.render()
