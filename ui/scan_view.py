"""Showing a Scan: window/level presets and sliders, a frame/slice slider, the metadata table.

Reusable by any page: ``render(scan, key="...")`` returns the chosen frame and window, so a page
can feed the same view to a model or draw an overlay with ``medcore.plots.images``.
"""
from __future__ import annotations

import hashlib
import weakref

import numpy as np
import streamlit as st

from medcore.imaging import WINDOW_PRESETS, Scan, percentile_window
from medcore.plots.images import scan_figure
from medcore.safe_text import escape_html
from ui import common

FILE_DEFAULT = "File default"
AUTO = "Auto (0.5-99.5th percentile)"
CUSTOM = "Custom"

#: Per scan (by identity; a Scan is immutable): its window presets and slider range, so that a
#: rerun (every slider move) does not read a whole volume again for percentiles, min and max.
_CONTROLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def scan_token(scan: Scan) -> str:
    """A short, stable fingerprint of a scan, so widget keys change only when the scan does."""
    digest = hashlib.sha1(repr((scan.pixels.shape, scan.window, scan.modality,
                                sorted(scan.metadata.items()))).encode())
    return digest.hexdigest()[:10]


def _preset_windows(scan: Scan) -> dict[str, tuple[float, float]]:
    presets = {FILE_DEFAULT: scan.window}
    if scan.modality == "CT" and not scan.is_colour:
        presets.update({name.capitalize(): window for name, window in WINDOW_PRESETS.items()})
    presets[AUTO] = percentile_window(scan.pixels)
    return presets


def _slider_range(scan: Scan, presets: dict[str, tuple[float, float]]) -> tuple[float, float]:
    low, high = float(np.min(scan.pixels)), float(np.max(scan.pixels))
    for center, width in presets.values():
        low, high = min(low, center - width / 2), max(high, center + width / 2)
    return float(np.floor(low)), float(np.ceil(max(high, low + 1.0)))


def _presets_and_range(scan: Scan) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    cached = _CONTROLS.get(scan)
    if cached is None:
        presets = _preset_windows(scan)
        cached = _CONTROLS[scan] = (presets, _slider_range(scan, presets))
    return cached


def _apply_preset(prefix: str, presets: dict[str, tuple[float, float]]) -> None:
    name = st.session_state[f"{prefix}_preset"]
    if name in presets:
        center, width = presets[name]
        st.session_state[f"{prefix}_center"] = float(center)
        st.session_state[f"{prefix}_width"] = float(width)


def _to_custom(prefix: str) -> None:
    st.session_state[f"{prefix}_preset"] = CUSTOM


def window_controls(scan: Scan, *, key: str) -> tuple[float, float]:
    """Preset select and center/width sliders; returns the chosen (center, width)."""
    prefix = f"{key}_{scan_token(scan)}"
    presets, (low, high) = _presets_and_range(scan)
    span = high - low
    step = 1.0 if span > 50 else max(span / 500.0, 1e-6)
    if f"{prefix}_center" not in st.session_state:
        st.session_state[f"{prefix}_preset"] = FILE_DEFAULT
        _apply_preset(prefix, presets)
    st.selectbox("Window preset", [*presets, CUSTOM], key=f"{prefix}_preset",
                 on_change=_apply_preset, args=(prefix, presets),
                 help="The file's own window, CT presets in Hounsfield units (lung, "
                      "mediastinum, abdomen, bone, brain), or a contrast stretch.")
    center = st.slider("Window center (level)", low, high, step=step, key=f"{prefix}_center",
                       on_change=_to_custom, args=(prefix,))
    width = st.slider("Window width", step, max(2.0 * span, step * 2), step=step,
                      key=f"{prefix}_width", on_change=_to_custom, args=(prefix,))
    return float(center), float(width)


def frame_control(scan: Scan, *, key: str) -> int:
    """A slice/frame slider for volumes (1-based on screen); returns the 0-based index."""
    if scan.n_frames == 1:
        return 0
    label = "Slice" if scan.metadata.get("slice_spacing_mm") else "Frame"
    number = st.slider(f"{label} (of {scan.n_frames})", 1, scan.n_frames,
                       value=scan.n_frames // 2 + 1, key=f"{key}_{scan_token(scan)}_frame")
    return int(number) - 1


def metadata_table(scan: Scan) -> None:
    """The de-identified metadata, and a note when identifiers were present and hidden."""
    rows = scan.metadata_rows()
    if rows:
        import pandas as pd  # here: the Diagnosis page imports this module, and needs no pandas

        common.upload_table(pd.DataFrame(rows, columns=["Field", "Value"]), hide_index=True,
                            width="stretch")
    if scan.identifiers_hidden:
        st.caption(f":lock: {len(scan.hidden_identifiers)} identifying fields in the file "
                   "(patient name, ID, dates, institution...) were hidden: they are not shown, "
                   "stored or logged.")


def render(scan: Scan, *, key: str = "scan_view", title: str | None = None
           ) -> tuple[int, tuple[float, float]]:
    """Show ``scan`` with its controls; returns ``(frame_index, (center, width))``."""
    image_column, controls_column = st.columns([3, 2])
    with controls_column:
        frame = frame_control(scan, key=key)
        window = window_controls(scan, key=key)
    with image_column:
        figure = scan_figure(scan.display(frame, window),
                             title=None if title is None else escape_html(title))
        st.plotly_chart(figure, key=f"{key}_image", config={"displaylogo": False})
    metadata_table(scan)
    return frame, window
