"""Windowing (window/level) for display and the CT window presets.

``apply_window`` maps a window of the scan's values (Hounsfield units for CT) to display grey
levels ``0..255`` (``uint8``). It is a pure ``(pixels, center, width) -> pixels`` function, like the
ones in ``pydicom.pixels``, so it applies to a frame, a volume or an RGB image alike.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import numpy as np

#: CT window presets, name -> (center, width) in Hounsfield units (radiology teaching values).
WINDOW_PRESETS: Mapping[str, tuple[float, float]] = MappingProxyType({
    "lung": (-600.0, 1500.0),
    "mediastinum": (50.0, 350.0),
    "abdomen": (40.0, 400.0),
    "bone": (400.0, 1800.0),
    "brain": (40.0, 80.0),
})

#: The window that shows 8-bit pixel values unchanged: 0 -> 0, 255 -> 255.
FULL_8BIT_WINDOW: tuple[float, float] = (127.5, 255.0)

#: Percentiles of the pixel values that bound the default window when the file names none.
DEFAULT_PERCENTILES: tuple[float, float] = (0.5, 99.5)

#: Percentiles are computed on at most this many values (a regular subsample of big volumes).
_PERCENTILE_SAMPLE = 1_000_000


def apply_window(pixels: np.ndarray, center: float, width: float) -> np.ndarray:
    """Map the window ``[center - width/2, center + width/2]`` linearly onto ``0..255``.

    Values below the window become 0 (black), values above it 255 (white).

    Parameters
    ----------
    pixels : ndarray, any shape, e.g. (rows, columns), (frames, rows, columns) or (..., 3)
        Values in the scan's units (modality LUT applied).
    center, width : float
        Window center (level) and width, in the same units; ``width > 0``.

    Returns
    -------
    ndarray of uint8, same shape as ``pixels``
        Display grey levels 0..255. With ``center=127.5, width=255`` 8-bit values come out
        unchanged.

    Raises
    ------
    ValueError
        ``width`` is not a positive finite number or ``center`` is not finite.
    """
    center, width = float(center), float(width)
    if not np.isfinite(center) or not np.isfinite(width) or width <= 0:
        raise ValueError(f"window center {center} / width {width}: expected a finite center and "
                         "a width greater than 0; pick a preset or drag the width slider above 0.")
    lower = np.float32(center - width / 2.0)
    scale = np.float32(255.0 / width)
    out = np.subtract(pixels, lower, dtype=np.float32)
    out *= scale
    np.clip(out, 0.0, 255.0, out=out)
    np.rint(out, out=out)
    return out.astype(np.uint8)


def percentile_window(pixels: np.ndarray, percentiles: tuple[float, float] = DEFAULT_PERCENTILES
                      ) -> tuple[float, float]:
    """A (center, width) window spanning the given percentiles of the pixel values.

    Parameters
    ----------
    pixels : ndarray, any shape
        Values in the scan's units; big arrays are subsampled regularly.

    Returns
    -------
    (center, width) : tuple of float
        ``width`` is at least 1.
    """
    flat = np.asarray(pixels).reshape(-1)
    if flat.size > _PERCENTILE_SAMPLE:
        flat = flat[:: flat.size // _PERCENTILE_SAMPLE + 1]
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return FULL_8BIT_WINDOW
    low, high = (float(v) for v in np.percentile(flat, percentiles))
    if high - low < 1.0:
        low, high = float(flat.min()), float(flat.max())
    width = max(high - low, 1.0)
    return (low + high) / 2.0, width


def full_range_window(bits: int) -> tuple[float, float]:
    """The window that shows the whole range ``0 .. 2**bits - 1`` (colour and 8-bit images)."""
    top = float(2 ** int(bits) - 1)
    return top / 2.0, top
