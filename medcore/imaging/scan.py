"""The :class:`Scan` bundle and building one from an array."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medcore.imaging.window import FULL_8BIT_WINDOW, apply_window, percentile_window

#: Display labels of the de-identified metadata fields, in table order.
METADATA_LABELS: dict[str, str] = {
    "modality": "Modality",
    "body_part": "Body part",
    "study_description": "Study description",
    "series_description": "Series description",
    "series_number": "Series number",
    "rows": "Rows",
    "columns": "Columns",
    "frames": "Frames / slices",
    "pixel_spacing_mm": "Pixel spacing (mm)",
    "slice_thickness_mm": "Slice thickness (mm)",
    "slice_spacing_mm": "Slice spacing (mm)",
    "photometric_interpretation": "Photometric interpretation",
    "bits_stored": "Bits stored",
    "transfer_syntax": "Transfer syntax",
    "manufacturer": "Manufacturer",
    "file_format": "File format",
    "dataset": "Data set",
    "reference_label": "Reference label",
}


class ReadOnlyDict(dict):
    """A dict that refuses changes (scans are shared between sessions); ``dict(d)`` copies."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("Scan.metadata is read-only; copy it first: dict(scan.metadata).")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self):
        return type(self), (dict(self),)


@dataclass(frozen=True, eq=False)
class Scan:
    """A decoded image or volume, ready for display and for the models.

    Attributes
    ----------
    pixels : ndarray of float32, shape (frames, rows, columns) or (frames, rows, columns, 3)
        Modality LUT applied (CT in Hounsfield units). MONOCHROME1 images are mirrored so that
        higher values are brighter, like every other scan (bones white). Read-only.
    modality : str
        DICOM modality ("CT", "MR", "CR", ...); "OT" for PNG/JPEG files.
    metadata : dict (read-only)
        De-identified display fields (keys of :data:`METADATA_LABELS`); never a patient
        identifier.
    window : (center, width)
        Default display window: the file's own Window Center/Width, else the 0.5-99.5th
        percentiles of the values, else the full 8-bit range for 8-bit images.
    photometric : str
        Colour model of ``pixels``: "MONOCHROME2" (grey, higher is brighter) or "RGB".
    source : str
        "dicom", "png", "jpeg" or "array".
    hidden_identifiers : tuple of str
        DICOM keywords of the identifying fields that were present in the file and left out of
        ``metadata`` (their values are never kept).
    inverted : bool
        True when the file was MONOCHROME1 and ``pixels`` were mirrored for display.
    series_uid : str
        Series Instance UID ("" when none); used to tell series apart, not for display.
    age_years : int or None
        The patient's age in whole years from the file's Patient's Age, else Patient's Birth
        Date and the study date (``None`` when the file gives neither), capped at 90 (HIPAA
        Safe Harbor: older ages are reported as 90). For checking a model's intended
        population only: never shown or logged.
    """

    pixels: np.ndarray
    modality: str
    metadata: dict[str, Any]
    window: tuple[float, float]
    photometric: str = "MONOCHROME2"
    source: str = "array"
    hidden_identifiers: tuple[str, ...] = ()
    inverted: bool = False
    series_uid: str = field(default="", repr=False)
    age_years: int | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        pixels = self.pixels
        if not isinstance(pixels, np.ndarray) or pixels.dtype != np.float32:
            raise ValueError("Scan.pixels must be a float32 ndarray; build scans with "
                             "load_scan or scan_from_array.")
        colour = pixels.ndim == 4 and pixels.shape[-1] == 3
        if not (pixels.ndim == 3 or colour) or min(pixels.shape[:3]) < 1:
            raise ValueError(f"Scan.pixels has shape {pixels.shape}; expected (frames, rows, "
                             "columns) or (frames, rows, columns, 3).")
        if colour != (self.photometric == "RGB"):
            raise ValueError(f"photometric {self.photometric!r} does not match pixels of shape "
                             f"{pixels.shape}.")
        if pixels.flags.writeable:
            pixels.setflags(write=False)
        object.__setattr__(self, "window", (float(self.window[0]), float(self.window[1])))
        object.__setattr__(self, "metadata", ReadOnlyDict(self.metadata))
        object.__setattr__(self, "hidden_identifiers", tuple(self.hidden_identifiers))

    def __repr__(self) -> str:
        return (f"Scan(modality={self.modality!r}, shape={self.pixels.shape}, "
                f"photometric={self.photometric!r}, window={self.window}, source={self.source!r}, "
                f"identifiers_hidden={self.identifiers_hidden})")

    @property
    def n_frames(self) -> int:
        """Number of frames (or slices of a series)."""
        return int(self.pixels.shape[0])

    @property
    def is_colour(self) -> bool:
        """True for RGB scans (shape (frames, rows, columns, 3))."""
        return self.pixels.ndim == 4

    @property
    def identifiers_hidden(self) -> bool:
        """True when the file carried patient identifiers that were left out."""
        return bool(self.hidden_identifiers)

    def frame(self, index: int | None = None) -> np.ndarray:
        """One frame, shape (rows, columns) or (rows, columns, 3); default the middle one.

        Raises
        ------
        IndexError
            ``index`` is outside ``0 .. n_frames - 1``.
        """
        if index is None:
            index = self.n_frames // 2
        if not 0 <= index < self.n_frames:
            raise IndexError(f"frame {index} requested; this scan has frames "
                             f"0..{self.n_frames - 1}.")
        return self.pixels[index]

    def display(self, index: int | None = None,
                window: tuple[float, float] | None = None) -> np.ndarray:
        """One frame windowed for display: uint8, shape (rows, columns) or (rows, columns, 3)."""
        center, width = window if window is not None else self.window
        return apply_window(self.frame(index), center, width)

    def metadata_rows(self) -> list[tuple[str, str]]:
        """``(label, value)`` pairs of the metadata, in display order, empty fields left out."""
        rows = []
        for key, label in METADATA_LABELS.items():
            value = self.metadata.get(key)
            if value not in (None, ""):
                rows.append((label, str(value)))
        return rows


def scan_from_array(array: np.ndarray, *, modality: str = "OT",
                    metadata: dict[str, Any] | None = None,
                    window: tuple[float, float] | None = None, colour: bool | None = None,
                    source: str = "array") -> Scan:
    """Wrap an image array (e.g. a PneumoniaMNIST image) as a :class:`Scan`.

    Parameters
    ----------
    array : ndarray
        Shape (rows, columns), (frames, rows, columns), (rows, columns, 3) or
        (frames, rows, columns, 3).
    colour : bool, optional
        Whether the last axis holds RGB; default: a last axis of length 3 on a 3-D array or any
        4-D array.
    window : (center, width), optional
        Default: the full 8-bit range for ``uint8`` arrays (so the values display unchanged),
        else the 0.5-99.5th percentiles.

    Raises
    ------
    ValueError
        The array has an unusable shape.
    """
    array = np.asarray(array)
    if colour is None:
        colour = array.ndim == 4 or (array.ndim == 3 and array.shape[-1] == 3)
    base_ndim = array.ndim - (1 if colour else 0)
    if base_ndim == 2:
        array = array[np.newaxis]
    elif base_ndim != 3:
        raise ValueError(f"an image array of shape {array.shape} was given; expected (rows, "
                         "columns) or (frames, rows, columns), optionally with a last axis of 3 "
                         "colours.")
    if window is None:
        window = FULL_8BIT_WINDOW if array.dtype == np.uint8 else percentile_window(array)
    pixels = np.array(array, dtype=np.float32)  # an own, contiguous copy
    info = {"modality": modality, "rows": pixels.shape[1], "columns": pixels.shape[2],
            "frames": pixels.shape[0],
            "photometric_interpretation": "RGB" if colour else "MONOCHROME2"}
    info.update(metadata or {})
    return Scan(pixels=pixels, modality=modality, metadata=info, window=window,
                photometric="RGB" if colour else "MONOCHROME2", source=source)


def scan_label(scan: Scan, file_name: str = "") -> str:
    """How a page names a scan: series description (else study description, else body part),
    modality and file name, e.g. ``"5/5mm Plain - CT - 693_UNCR.dcm"``.

    Plain text from the file: escape it for where it is shown (:mod:`medcore.safe_text`).
    """
    meta = scan.metadata
    description = (meta.get("series_description") or meta.get("study_description")
                   or meta.get("body_part") or "")
    parts = [str(description).strip(), scan.modality, str(file_name).strip()]
    return " - ".join(part for part in parts if part) or "unnamed scan"
