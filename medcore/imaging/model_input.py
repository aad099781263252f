"""From a :class:`Scan` to the input of the pneumonia CNN.

The CNN was trained on PneumoniaMNIST: 28 x 28 grey-scale chest radiographs, ``uint8`` values,
bones white, centre-cropped and resized from the originals. A scan goes the same way:
grey-scale -> the scan's default window onto 0..255 -> centre crop to a square -> resize with
antialiasing (Pillow's Lanczos filter). A 28 x 28 ``uint8`` image comes out unchanged.
"""
from __future__ import annotations

import numpy as np

from medcore.imaging.scan import Scan
from medcore.imaging.window import apply_window

#: ITU-R BT.601 luma weights, as Pillow's RGB -> "L" conversion uses.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def grey_frame(scan: Scan, frame: int | None = None) -> np.ndarray:
    """One frame as grey values in the scan's units, shape (rows, columns), float32.

    RGB scans are converted with the ITU-R BT.601 luma weights. ``frame`` defaults to the
    middle frame (slice) of a volume.
    """
    image = scan.frame(frame)
    if scan.is_colour:
        image = image @ _LUMA
    return image


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
        Display window; default the scan's own ``scan.window``.

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
    grey = apply_window(grey_frame(scan, frame), *(window or scan.window))
    rows, columns = grey.shape
    side = min(rows, columns)
    top, left = (rows - side) // 2, (columns - side) // 2
    square = grey[top:top + side, left:left + side]
    if side == size:
        return np.ascontiguousarray(square)
    image = Image.fromarray(np.ascontiguousarray(square))
    return np.asarray(image.resize((size, size), Image.Resampling.LANCZOS), dtype=np.uint8)


def to_model_input(scan: Scan, *, frame: int | None = None, size: int = 28,
                   window: tuple[float, float] | None = None) -> np.ndarray:
    """The pneumonia CNN's input for one frame of ``scan``: :func:`model_view` as a batch.

    Parameters are those of :func:`model_view` (``size=28`` for ``pneumonia_cnn``).

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
