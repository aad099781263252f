"""Medical images in, display pixels and model inputs out (no TensorFlow here).

``load_scan`` reads DICOM (with or without preamble, any transfer syntax the pylibjpeg plugins
decode), a .zip of one DICOM series, PNG or JPEG into a :class:`Scan`; ``load_series`` assembles
many files or zips into one volume per series, returned as a :class:`LoadedSeries` with every
file it skipped and why (:class:`SkippedFile`): an upload loads every image it holds, and only
an upload with no usable image raises. ``apply_window`` and ``WINDOW_PRESETS`` display them;
``to_model_input`` prepares the pneumonia CNN's input (windowed by ``model_window``, which
recreates a full-contrast 8-bit export like the training images). Every unreadable input raises
:class:`~medcore.errors.InvalidUploadError`.
"""
from __future__ import annotations

from medcore.errors import InvalidUploadError
from medcore.imaging.loader import load_scan
from medcore.imaging.model_input import (ModelWindow, grey_frame, model_square, model_view,
                                         model_window, to_model_input)
from medcore.imaging.scan import METADATA_LABELS, Scan, scan_from_array, scan_label
from medcore.imaging.series import (MAX_ZIP_BYTES, MAX_ZIP_MEMBERS, LoadedSeries, SkippedFile,
                                    load_series)
from medcore.imaging.sources import MAX_UPLOAD_BYTES
from medcore.imaging.window import (FULL_8BIT_WINDOW, WINDOW_PRESETS, apply_window,
                                    percentile_window)

__all__ = [
    "FULL_8BIT_WINDOW", "InvalidUploadError", "LoadedSeries", "MAX_UPLOAD_BYTES", "MAX_ZIP_BYTES",
    "MAX_ZIP_MEMBERS", "METADATA_LABELS", "ModelWindow", "Scan", "SkippedFile", "WINDOW_PRESETS",
    "apply_window", "grey_frame", "load_scan", "load_series", "model_square", "model_view",
    "model_window",
    "percentile_window", "scan_from_array", "scan_label", "to_model_input",
]
