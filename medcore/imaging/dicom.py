"""DICOM files into :class:`Scan` objects, with ``pydicom`` and its ``pydicom.pixels`` functions.

Order of the pixel work, as pydicom lays it out: decode (``Decoder.as_array``, any transfer
syntax the installed pylibjpeg plugins support) -> colour: YBR to RGB (``convert_color_space``)
or palette to RGB (``apply_color_lut``) -> grey: ``apply_modality_lut`` (CT in HU) -> float32 ->
MONOCHROME1 mirrored so that bones show white.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from medcore.errors import InvalidUploadError
from medcore.imaging.dicom_fields import (age_years, dicom_window, display_metadata,
                                          functional_item, has, hidden_identifiers, numbers,
                                          text)
from medcore.imaging.scan import Scan
from medcore.imaging.sources import EXPECTED
from medcore.imaging.window import full_range_window, percentile_window

_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")

DECODABLE = ("uncompressed (implicit or explicit VR, little or big endian, deflated), JPEG "
             "baseline/extended/lossless, JPEG-LS, JPEG 2000 or RLE")


def read_dataset(data: bytes | Path, name: str, *, has_preamble: bool):
    """Parse DICOM bytes (or a file, read directly, saving a copy of its pixel data).

    A data set without the preamble is read (with ``force=True``) only when it was detected as
    one by :func:`~medcore.imaging.sources.sniff`.

    Raises
    ------
    InvalidUploadError
        The bytes are not a readable DICOM data set (truncated header, junk).
    """
    import pydicom
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # force=True only for bytes sniffed as a data set without the preamble and 'DICM'.
            source = str(data) if isinstance(data, Path) else io.BytesIO(data)
            ds = pydicom.dcmread(source, force=not has_preamble)
            if "TransferSyntaxUID" not in ds.file_meta:
                implicit, little = ds.original_encoding
                ds.file_meta.TransferSyntaxUID = (
                    ImplicitVRLittleEndian if implicit else
                    ExplicitVRLittleEndian if little else ExplicitVRBigEndian)
        truncated = any("End of file reached" in str(w.message) for w in caught)
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds on damaged files
        raise InvalidUploadError(
            f"{name} starts like a DICOM file but could not be read ({_short(exc)}); expected "
            f"{EXPECTED}. The file is probably truncated or damaged: export it again from the "
            "viewer or PACS.") from exc
    if truncated and not any(keyword in ds for keyword in _PIXEL_KEYWORDS):
        raise InvalidUploadError(
            f"{name} is a truncated DICOM file (it ends before its pixel data is complete); "
            f"expected {EXPECTED}. Export or download it again; check the copy is complete.")
    return ds


def decode_pixels(ds, name: str) -> tuple[np.ndarray, str]:
    """Decoded pixels, shape (frames, rows, columns[, 3]), and their photometric interpretation.

    Raises
    ------
    InvalidUploadError
        No pixel data, an undecodable transfer syntax, or damaged pixel data.
    """
    from pydicom.pixels import as_pixel_options, get_decoder

    if not any(keyword in ds for keyword in _PIXEL_KEYWORDS):
        kind = _sop_class_name(ds)
        if "Image Storage" in kind or "Rows" in ds:
            raise InvalidUploadError(
                f"{name} is a DICOM image file whose pixel data is missing ({kind}): it was "
                "truncated, or its pixel data was removed; expected a complete DICOM image. "
                "Export or copy the file again and check its size.")
        raise InvalidUploadError(
            f"{name} is a DICOM file with no pixel data ({kind}); expected a DICOM image such "
            "as a CT, MR or radiograph. Upload the image files, not a report, plan, index "
            "(DICOMDIR) or waveform.")
    syntax = ds.file_meta.get("TransferSyntaxUID")
    try:
        decoder = get_decoder(syntax)
        available = decoder.is_available
    except Exception:  # noqa: BLE001 - unknown or malformed UIDs
        available = False
    if not available:
        label = getattr(syntax, "name", str(syntax))
        raise InvalidUploadError(
            f"{name} uses the transfer syntax {label} ({syntax}), which this dashboard cannot "
            f"decode; expected {DECODABLE}. Re-export it uncompressed from the viewer, or "
            "convert it, e.g. with `gdcmconv --raw in.dcm out.dcm`.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # A read-only view where the data is native: the float32 conversion copies anyway.
            options = as_pixel_options(ds, as_rgb=False, view_only=True)
            array, meta = decoder.as_array(ds, validate=True, **options)
    except Exception as exc:  # noqa: BLE001 - decoder plugins raise many kinds
        raise InvalidUploadError(
            f"{name}: the pixel data could not be decoded ({_short(exc)}); expected complete "
            f"{getattr(syntax, 'name', syntax)} pixel data. The file is probably truncated or "
            "damaged: export it again.") from exc
    frames = int(meta.get("number_of_frames", 1) or 1)
    samples = int(meta.get("samples_per_pixel", 1) or 1)
    rows, columns = int(meta.get("rows", ds.Rows)), int(meta.get("columns", ds.Columns))
    shape = (frames, rows, columns) + ((samples,) if samples > 1 else ())
    if samples not in (1, 3) or array.size != int(np.prod(shape)):
        raise InvalidUploadError(
            f"{name} holds pixel data of shape {array.shape} with {samples} samples per pixel; "
            "expected grey (1) or colour (3) samples. Export the image as MONOCHROME2 or RGB.")
    return array.reshape(shape), str(meta.get("photometric_interpretation",
                                              ds.get("PhotometricInterpretation", "")))


def dataset_to_scan(ds, name: str, *, default_window: bool = True) -> Scan:
    """Decode a parsed data set into a :class:`Scan` (see :func:`_to_scan`).

    Raises
    ------
    InvalidUploadError
        Anything in the file that stops decoding, with what was received and how to fix it.
    """
    try:
        return _to_scan(ds, name, default_window)
    except InvalidUploadError:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged elements fail on first access
        raise InvalidUploadError(
            f"{name} is a DICOM file with a damaged or inconsistent header ({_short(exc)}); "
            f"expected a valid DICOM image. Export it again from the viewer or PACS.") from exc


def _to_scan(ds, name: str, default_window: bool = True) -> Scan:
    """Decode a parsed data set into a :class:`Scan` (see the module docstring for the order).

    Parameters
    ----------
    default_window : bool
        Compute the percentile window when the file names none (a series does it once for the
        whole volume instead).

    Raises
    ------
    InvalidUploadError
        As :func:`decode_pixels`, or an unsupported colour model.
    """
    from pydicom.pixels import apply_color_lut, convert_color_space

    array, photometric = decode_pixels(ds, name)
    inverted = False
    window = None
    try:
        if photometric == "PALETTE COLOR":
            array = apply_color_lut(array, ds)
            photometric = "RGB"
        elif photometric.startswith("YBR"):
            array = convert_color_space(array, photometric, "RGB")
            photometric = "RGB"
        elif photometric in ("MONOCHROME1", "MONOCHROME2"):
            array = modality_lut(array, ds)
        elif photometric != "RGB":
            raise InvalidUploadError(
                f"{name} has the photometric interpretation {photometric!r}; expected "
                "MONOCHROME1/2, RGB, YBR or PALETTE COLOR. Export it as MONOCHROME2 or RGB.")
    except InvalidUploadError:
        raise
    except Exception as exc:  # noqa: BLE001 - LUT functions raise on malformed LUTs
        raise InvalidUploadError(
            f"{name}: its {photometric} pixels could not be converted for display "
            f"({_short(exc)}); expected a valid colour or modality lookup table. Re-export the "
            "image as MONOCHROME2 or RGB.") from exc
    pixels = np.asarray(array, dtype=np.float32)
    if photometric == "RGB":
        bits = 8 if array.dtype.itemsize == 1 else int(ds.get("BitsStored", 16) or 16)
        window = full_range_window(bits)
        photometric = "RGB"
    else:
        window = dicom_window(ds)
        if photometric == "MONOCHROME1":
            total = float(pixels.min()) + float(pixels.max())
            if not pixels.flags.writeable:
                pixels = pixels.copy()
            np.subtract(np.float32(total), pixels, out=pixels)
            inverted = True
            if window is not None:
                window = (total - window[0], window[1])
        photometric = "MONOCHROME2"
    if window is None and default_window:
        window = percentile_window(pixels)
    return Scan(pixels=pixels, modality=text(ds, "Modality") or "OT",
                metadata=display_metadata(ds, pixels.shape[0], inverted),
                window=window or (0.0, 1.0), photometric=photometric, source="dicom",
                hidden_identifiers=hidden_identifiers(ds), inverted=inverted,
                series_uid=text(ds, "SeriesInstanceUID"), age_years=age_years(ds))


def modality_lut(array: np.ndarray, ds) -> np.ndarray:
    """The modality LUT as float32 values (CT in Hounsfield units).

    A Modality LUT Sequence goes through ``pydicom.pixels.apply_modality_lut``. The common linear
    Rescale Slope/Intercept (top level, or in the functional groups of enhanced multi-frame
    files, per frame when they differ) is applied in float32 in place: pydicom's float64
    intermediate would double the memory of a volume and the time of a slice.
    """
    from pydicom.pixels import apply_modality_lut

    if has(ds, "ModalityLUTSequence"):
        return np.asarray(apply_modality_lut(array, ds), dtype=np.float32)
    slopes, intercepts = _rescale(ds, array.shape[0])
    pixels = array.astype(np.float32)
    if np.any(slopes != 1.0):
        pixels *= slopes.reshape((-1,) + (1,) * (pixels.ndim - 1))
    if np.any(intercepts != 0.0):
        pixels += intercepts.reshape((-1,) + (1,) * (pixels.ndim - 1))
    return pixels


def _rescale(ds, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Rescale slope and intercept per frame, each of shape (1,) or (frames,), float32."""
    items = [ds]
    if not has(ds, "RescaleSlope") and not has(ds, "RescaleIntercept"):
        shared = functional_item(ds, "PixelValueTransformationSequence", shared_only=True)
        per_frame = ds.get("PerFrameFunctionalGroupsSequence")
        if shared is not None:
            items = [shared]
        elif per_frame and len(per_frame) == frames:
            items = [(group.get("PixelValueTransformationSequence") or [ds])[0]
                     for group in per_frame]
    slopes = np.array([(numbers(item, "RescaleSlope") or [1.0])[0] for item in items],
                      dtype=np.float32)
    intercepts = np.array([(numbers(item, "RescaleIntercept") or [0.0])[0] for item in items],
                          dtype=np.float32)
    return slopes, intercepts


def _sop_class_name(ds) -> str:
    uid = ds.get("SOPClassUID") or ds.file_meta.get("MediaStorageSOPClassUID")
    name = getattr(uid, "name", "") if uid is not None else ""
    return f"it is a {name} object" if name and name != str(uid) else "no Pixel Data element"


def _short(exc: BaseException) -> str:
    """The exception's type and first line, for messages (values of identifiers never reach
    here: identifying elements are not decoded)."""
    message = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
