"""PNG and JPEG images (radiographs exported from a viewer), decoded with Pillow."""
from __future__ import annotations

import io

import numpy as np

from medcore.errors import InvalidUploadError
from medcore.imaging.scan import Scan, scan_from_array
from medcore.imaging.window import FULL_8BIT_WINDOW, full_range_window

#: Largest image accepted, in pixels (Pillow's decompression-bomb guard uses the same idea).
MAX_PIXELS = 100_000_000


def load_raster(data: bytes, name: str, kind: str) -> Scan:
    """Decode PNG or JPEG bytes into a :class:`Scan` (modality "OT").

    Grey images (modes L, I;16, I, F, LA) give a grey scan; everything else is converted to RGB
    (the alpha channel is dropped). The default window shows the values as stored.

    Raises
    ------
    InvalidUploadError
        The bytes cannot be decoded (truncated or corrupt), or the image is too large.
    """
    from PIL import Image

    label = kind.upper()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise InvalidUploadError(
                    f"{name} is a {image.width} x {image.height} {label}; expected at most "
                    f"{MAX_PIXELS:,} pixels. Export a smaller image.")
            image.load()
            mode = image.mode
            if mode in ("L", "LA", "1"):
                array = np.asarray(image.convert("L"))
            elif mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                array = np.asarray(image)
            elif mode == "P" and _palette_is_grey(image):
                array = np.asarray(image.convert("L"))
            else:
                array = np.asarray(image.convert("RGB"))
    except InvalidUploadError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds on bad files
        raise InvalidUploadError(
            f"{name} looks like a {label} file but could not be decoded ({type(exc).__name__}: "
            f"{exc}); expected a complete {label} image. The file is probably truncated or "
            "corrupt: export it again.") from exc
    if array.dtype == np.uint8:
        window = FULL_8BIT_WINDOW
    elif array.dtype == np.uint16:
        window = full_range_window(16)
    else:
        window = None
    return scan_from_array(array, modality="OT", window=window, source=kind,
                           metadata={"file_format": label, "bits_stored": array.itemsize * 8})


def _palette_is_grey(image) -> bool:
    palette = image.getpalette() or []
    triples = np.asarray(palette[: len(palette) // 3 * 3]).reshape(-1, 3)
    return bool(triples.size) and bool(np.all(triples == triples[:, :1]))
