"""Upload: scans and patient records in, clear errors out.

Scans: single DICOM files, a series as many files or one .zip, PNG/JPEG radiographs, or a
real sample. The last good scan is kept in ``st.session_state[state.SCAN]`` for the other
pages; a bad upload shows its error and leaves the earlier scan in place. An upload is decoded
once (remembered per session by its file ids, so moving a slider does not decode or copy a
volume again). Uploaded bytes stay in memory (never written to disk); nothing identifying is
logged.
"""
from __future__ import annotations

import streamlit as st

from medcore.errors import MedcoreError
from ui import common, records_upload, scan_view, state

UPLOAD = "Upload files"
SAMPLE = "Try a sample"


#: Private session key: the last decoded upload, so reruns (every slider move) neither hash nor
#: decode the bytes again, and a volume is not copied out of a cache on each rerun.
_DECODED = "_scan_upload_decoded"


def decode_upload(files) -> dict:
    """Series UID -> Scan for the uploaded files, decoded once per upload (per session).

    Raises
    ------
    MedcoreError
        The upload cannot be read (the same message again on reruns, without decoding again).
    """
    from medcore.imaging import load_series

    signature = tuple((f.file_id, f.name, f.size) for f in files)
    cached = st.session_state.get(_DECODED)
    if cached is not None and cached[0] == signature:
        if isinstance(cached[1], MedcoreError):
            raise cached[1]
        return cached[1]
    try:
        with st.spinner("Decoding the upload..."):
            series = load_series([f.getvalue() for f in files],
                                 filenames=[f.name for f in files]).series
    except MedcoreError as error:
        st.session_state[_DECODED] = (signature, error)
        raise
    st.session_state[_DECODED] = (signature, series)
    return series


@st.cache_resource(max_entries=16, show_spinner="Loading the sample...")
def sample_scan(name: str):
    """A sample scan, shared by all sessions (a Scan is immutable: frozen, read-only pixels)."""
    from medcore.samples import load_sample

    return load_sample(name)


def series_label(key: str, scan) -> str:
    """How a series is named in the picker: description (or file), number, modality, size."""
    meta = scan.metadata
    description = (meta.get("series_description") or meta.get("study_description")
                   or (key[len("file:"):] if key.startswith("file:") else "Series"))
    number = f" #{meta['series_number']}" if meta.get("series_number") else ""
    unit = "slice" if scan.n_frames == 1 else "slices"
    return (f"{description}{number} - {scan.modality}, {scan.n_frames} {unit}, "
            f"{meta.get('rows', '?')} x {meta.get('columns', '?')}")


def store(scan, name: str) -> None:
    """Keep a successfully decoded scan for the other pages."""
    st.session_state[state.SCAN] = scan
    st.session_state[state.SCAN_NAME] = name


def upload_section() -> None:
    files = st.file_uploader(
        "DICOM files (.dcm or no extension), a series as many files or one .zip, or a "
        "PNG/JPEG radiograph", accept_multiple_files=True, key="scan_upload",
        help="Decoded in memory, never written to disk. Patient identifiers are hidden.")
    if not files:
        return
    try:
        series = decode_upload(files)
    except MedcoreError as error:
        common.show_error(error)
        return
    keys = list(series)
    if len(keys) > 1:
        chosen = st.selectbox(f"This upload holds {len(keys)} series: pick one", keys,
                              format_func=lambda uid: series_label(uid, series[uid]),
                              key="scan_series")
    else:
        chosen = keys[0]
    name = files[0].name if len(files) == 1 else f"{len(files)} files"
    store(series[chosen], name)


def sample_section() -> None:
    from medcore.samples import describe_sample, list_samples

    names = list_samples()
    if not names:
        st.info("No samples on this machine: install pydicom-data (pip install pydicom-data).")
        return
    name = st.selectbox("Sample scan", names, index=None, format_func=describe_sample,
                        placeholder="Choose a real scan", key="scan_sample")
    if name is None:
        return
    try:
        store(sample_scan(name), name)
    except MedcoreError as error:
        common.show_error(error)


def scans_tab() -> None:
    source = st.radio("Scan source", [UPLOAD, SAMPLE], horizontal=True, key="scan_source")
    if source == UPLOAD:
        upload_section()
    else:
        sample_section()
    scan = st.session_state.get(state.SCAN)
    if scan is None:
        st.info("No scan yet: upload a DICOM file, a series or a radiograph, or try a sample.")
        return
    st.subheader(f"Current scan: {st.session_state.get(state.SCAN_NAME, 'scan')}")
    st.caption("This scan is what the Diagnosis and Explanation pages use.")
    scan_view.render(scan, key="upload_scan")


st.title("Upload")
st.caption("Scans and patient records in; clear errors out. Nothing is written to disk.")
scans, records = st.tabs(["Scans", "Patient records"])
with scans:
    scans_tab()
with records:
    records_upload.render()
