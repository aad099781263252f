"""The Upload page's scans half: upload files or a zip, or try a sample; show the current scan.

Scans: single DICOM files, a series as many files or one .zip, PNG/JPEG radiographs, or a real
sample. An upload loads every image it holds (:func:`medcore.imaging.load_series`): a picker
when it holds several series, and every file it skipped, with the reason, in one collapsed
"Skipped N files" section. Only an upload with no usable image shows an error. The last good
scan is kept in ``st.session_state[state.SCAN]`` for the other pages, and stays whenever nothing
new loads. An upload is decoded once (remembered per session by its file ids, so moving a
slider does not decode or copy a volume again). Uploaded bytes stay in memory (never written to
disk); nothing identifying is logged. Names and fields from the files are escaped before they
reach Markdown (:mod:`medcore.safe_text`).
"""
from __future__ import annotations

import streamlit as st

from medcore.errors import MedcoreError
from medcore.imaging import MAX_UPLOAD_BYTES, scan_label
from medcore.safe_text import escape_markdown
from ui import audit_trail, common, scan_view, state

UPLOAD = "Upload files"
SAMPLE = "Try a sample"

#: Private session key: the last decoded upload, so reruns (every slider move) neither hash nor
#: decode the bytes again, and a volume is not copied out of a cache on each rerun.
_DECODED = "_scan_upload_decoded"


def decode_upload(files):
    """The :class:`~medcore.imaging.LoadedSeries` of the uploaded files, decoded once per upload
    (per session).

    Raises
    ------
    MedcoreError
        The upload holds no usable image, or is over the size limit (the same message again on
        reruns, without decoding again).
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
            # The files themselves: their sizes are checked before any byte is read.
            loaded = load_series(files, max_bytes=MAX_UPLOAD_BYTES)
    except MedcoreError as error:
        st.session_state[_DECODED] = (signature, error)
        audit_trail.upload_checked("Upload", "uploaded-scan", False, signature)
        raise
    st.session_state[_DECODED] = (signature, loaded)
    audit_trail.upload_checked("Upload", "uploaded-scan", True, signature)
    return loaded


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


def files_name(names) -> str:
    """The file a series was read from, or the first of them and how many more."""
    names = list(names)
    if len(names) <= 1:
        return names[0] if names else ""
    return f"{names[0]} (+{len(names) - 1} more files)"


def store(scan, name: str) -> None:
    """Keep a successfully decoded scan for the other pages."""
    st.session_state[state.SCAN] = scan
    st.session_state[state.SCAN_NAME] = name


def show_skipped(skipped) -> None:
    """Every skipped file with its reason, in one collapsed section (names escaped)."""
    if not skipped:
        return
    count = f"{len(skipped)} file{'s' if len(skipped) != 1 else ''}"
    with st.expander(f"Skipped {count}", expanded=False, icon=":material/block:"):
        st.caption("Only images are loaded: reports, viewer programs, notes and damaged files "
                   "are left out, each with its reason. DICOMDIR indexes and system files "
                   "(__MACOSX, .DS_Store) are skipped without a mention.")
        st.markdown("\n".join(f"- **{escape_markdown(s.name)}**: {escape_markdown(s.reason)}"
                              for s in skipped))


def upload_section() -> None:
    files = st.file_uploader(
        "DICOM files (.dcm or no extension), a series as many files or one .zip, or a "
        "PNG/JPEG radiograph", accept_multiple_files=True, key="scan_upload",
        max_upload_size=max(1, MAX_UPLOAD_BYTES // (1024 * 1024)),
        help="Decoded in memory, never written to disk. Patient identifiers are hidden. Files "
             "that hold no image (reports, viewers, DICOMDIR) are skipped and listed.")
    if not files:
        return
    try:
        loaded = decode_upload(files)
    except MedcoreError as error:
        common.show_error(error)
        return
    series = loaded.series
    keys = list(series)
    if len(keys) > 1:
        chosen = st.selectbox(f"This upload holds {len(keys)} series: pick one", keys,
                              format_func=lambda uid: series_label(uid, series[uid]),
                              key="scan_series")
    else:
        chosen = keys[0]
    show_skipped(loaded.skipped)
    store(series[chosen], files_name(loaded.file_names.get(chosen, ())))
    audit_trail.note_source(state.SCAN, "uploaded-scan")


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
        audit_trail.note_source(state.SCAN, "sample")
    except MedcoreError as error:
        common.show_error(error)


def render() -> None:
    """The scans tab of the Upload page."""
    source = st.radio("Scan source", [UPLOAD, SAMPLE], horizontal=True, key="scan_source")
    if source == UPLOAD:
        upload_section()
    else:
        sample_section()
    scan = st.session_state.get(state.SCAN)
    if scan is None:
        st.info("No scan yet: upload a DICOM file, a series or a radiograph, or try a sample.")
        return
    name = scan_label(scan, st.session_state.get(state.SCAN_NAME, ""))
    st.subheader(f"Current scan: {escape_markdown(name)}")
    st.caption("This scan is what the Diagnosis and Explanation pages use.")
    scan_view.render(scan, key="upload_scan")
