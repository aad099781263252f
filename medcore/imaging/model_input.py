"""From a :class:`Scan` to the input of the pneumonia CNN.

The CNN was trained on PneumoniaMNIST: MedMNIST v2 took the 8-bit JPEG exports of Kermany et
al.'s pediatric chest radiographs as stored (grey-scale, full contrast: air black, bones white),
centre-cropped them to a square and resized them to 28 x 28 ``uint8``; no intensity
normalisation. A scan goes the same way: grey-scale -> the *model window* onto 0..255 -> centre
crop to a square -> resize with antialiasing (Pillow's Lanczos filter).

The model window (:func:`model_window`) recreates such an 8-bit export, and is chosen per scan:

1. ``"as stored"``: 8-bit images (PNG/JPEG exports, PneumoniaMNIST arrays; default window
   ``FULL_8BIT_WINDOW``) keep their values, as MedMNIST kept the JPEGs'. A 28 x 28 ``uint8``
   image comes out unchanged.
2. ``"scan window"``: otherwise (DICOM, 16-bit images) the scan's own default window (the DICOM
   Window Center/Width) when it renders the frame at full contrast like an export: the
   frame's 0.5th percentile lands at most 10% up the grey scale and its 99.5th at least 90% up.
3. ``"percentile"``: else the window spanning the frame's 0.5-99.5th percentiles (a robust
   min-max). Many CR/DX files carry a placeholder window over the whole bit depth (pydicom-data's
   ``RG1_UNCR.dcm``: 15000/30000 on 15-bit data), which leaves the frame grey and flat.

The display keeps the scan's own window (``Scan.window``); only the model input uses this rule.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medcore.imaging.scan import Scan
from medcore.imaging.window import (DEFAULT_PERCENTILES, FULL_8BIT_WINDOW, apply_window,
                                    percentile_window)

#: ITU-R BT.601 luma weights, as Pillow's RGB -> "L" conversion uses.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)

#: Full contrast: a window is used for the model only if it maps the frame's 0.5th percentile
#: at or below this fraction of the grey scale and its 99.5th at or above one minus it.
FULL_CONTRAST_MARGIN = 0.10


@dataclass(frozen=True)
class ModelWindow:
    """The window that turns one frame into the model's 8-bit input, and why it was chosen.

    Attributes
    ----------
    center, width : float
        In the scan's units.
    rule : str
        ``"as stored"``, ``"scan window"`` or ``"percentile"``.
    description : str
        One plain sentence for the page, e.g. which window was used and why.
    """

    center: float
    width: float
    rule: str
    description: str

    @property
    def window(self) -> tuple[float, float]:
        """``(center, width)``, as :func:`apply_window` and ``window=`` arguments take it."""
        return self.center, self.width


def grey_frame(scan: Scan, frame: int | None = None) -> np.ndarray:
    """One frame as grey values in the scan's units, shape (rows, columns), float32.

    RGB scans are converted with the ITU-R BT.601 luma weights. ``frame`` defaults to the
    middle frame (slice) of a volume.
    """
    image = scan.frame(frame)
    if scan.is_colour:
        image = image @ _LUMA
    return image


def _grey_levels(values: tuple[float, float], window: tuple[float, float]) -> tuple[float, float]:
    """Where ``values`` land on the 0..255 grey scale under ``window`` (unclipped)."""
    center, width = window
    return tuple(255.0 * (v - (center - width / 2.0)) / width for v in values)


def model_window(scan: Scan, frame: int | None = None) -> ModelWindow:
    """The window for the model input of one frame, by the rule in the module docstring.

    Parameters
    ----------
    scan : Scan
    frame : int, optional
        Frame (slice) index; default the middle one.

    Returns
    -------
    ModelWindow

    Raises
    ------
    IndexError
        ``frame`` is outside the scan.
    """
    own = scan.window
    if own == FULL_8BIT_WINDOW:
        grey_frame(scan, frame)  # the same IndexError as the other rules
        return ModelWindow(*own, "as stored",
                           "8-bit values as stored (0..255 unchanged), like the training JPEGs.")
    robust = percentile_window(grey_frame(scan, frame))
    low, high = robust[0] - robust[1] / 2.0, robust[0] + robust[1] / 2.0
    dark, bright = _grey_levels((low, high), own)
    window_text = f"window (center {own[0]:.5g}, width {own[1]:.5g})"
    if dark <= 255.0 * FULL_CONTRAST_MARGIN and bright >= 255.0 * (1 - FULL_CONTRAST_MARGIN):
        return ModelWindow(*own, "scan window",
                           f"The scan's own {window_text}: it renders the frame at full "
                           "contrast, like the training JPEGs.")
    first, last = DEFAULT_PERCENTILES
    need_dark = 255.0 * FULL_CONTRAST_MARGIN
    return ModelWindow(
        *robust, "percentile",
        f"The {first:g}-{last:g}th percentiles of the frame's values (center {robust[0]:.5g}, "
        f"width {robust[1]:.5g}), a full-contrast rendering like the training JPEGs. The "
        f"scan's own {window_text}, used for display, was not used for the model: it puts those "
        f"percentiles at grey {np.clip(dark, 0, 255):.0f} and {np.clip(bright, 0, 255):.0f} "
        f"of 255 (full contrast needs at most "
        f"{need_dark:.0f} and at least {255.0 - need_dark:.0f}).")


def model_view(scan: Scan, *, frame: int | None = None, size: int = 28,
               window: tuple[float, float] | None = None) -> np.ndarray:
    """What the pneumonia CNN sees: the windowed, cropped, resized frame.

    Parameters
    ----------
    scan : Scan
    frame : int, optional
        Frame (slice) index; default the middle one.
    size : int
        Side length of the square output.
    window : (center, width), optional
        Window onto 0..255; default :func:`model_window` (not ``scan.window``, the display's).

    Returns
    -------
    ndarray of uint8, shape (size, size)
        Grey levels 0..255, bones white.

    Raises
    ------
    ValueError
        ``size`` is smaller than 1.
    IndexError
        ``frame`` is outside the scan.
    """
    from PIL import Image

    if int(size) < 1:
        raise ValueError(f"size={size} was given; expected a positive side length such as 28.")
    if window is None:
        window = model_window(scan, frame).window
    grey = apply_window(grey_frame(scan, frame), *window)
    top, left, side = model_square(scan)
    square = grey[top:top + side, left:left + side]
    if side == size:
        return np.ascontiguousarray(square)
    image = Image.fromarray(np.ascontiguousarray(square))
    return np.asarray(image.resize((size, size), Image.Resampling.LANCZOS), dtype=np.uint8)


def model_square(scan: Scan) -> tuple[int, int, int]:
    """``(top, left, side)``: the centred square of each frame that :func:`model_view` reads,
    in the frame's pixels (where a map of the model input lies on the film)."""
    rows, columns = scan.pixels.shape[1:3]
    side = min(rows, columns)
    return (rows - side) // 2, (columns - side) // 2, side


def to_model_input(scan: Scan, *, frame: int | None = None, size: int = 28,
                   window: tuple[float, float] | None = None) -> np.ndarray:
    """The pneumonia CNN's input for one frame of ``scan``: :func:`model_view` as a batch.

    Parameters are those of :func:`model_view` (``size=28`` for ``pneumonia_cnn``); the
    default window is :func:`model_window`'s. Pass ``window=model_window(scan, frame).window``
    to show the same choice beside the input.

    Returns
    -------
    ndarray of float32, shape (1, size, size, 1)
        ``uint8``-range values 0..255 (the network rescales them itself). A PneumoniaMNIST
        image loaded with :func:`~medcore.imaging.scan_from_array` comes out identical.

    Raises
    ------
    ValueError, IndexError
        As :func:`model_view`.
    """
    view = model_view(scan, frame=frame, size=size, window=window)
    return view.astype(np.float32)[np.newaxis, :, :, np.newaxis]
