"""DICOM files into :class:`Scan` objects, with ``pydicom`` and its ``pydicom.pixels`` functions.

Order of the pixel work, as pydicom lays it out: decode (``Decoder.as_array``, any transfer
syntax the installed pylibjpeg plugins support) -> colour: YBR to RGB (``convert_color_space``)
or palette to RGB (``apply_color_lut``) -> grey: ``apply_modality_lut`` (CT in HU) -> float32 ->
MONOCHROME1 mirrored so that bones show white.
"""
from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np

from medcore.errors import InvalidUploadError
from medcore.imaging.scan import Scan
from medcore.imaging.sources import EXPECTED
from medcore.imaging.window import full_range_window, percentile_window

#: Identifying attributes: reported as "present and hidden" by keyword, values never kept.
IDENTIFIER_KEYWORDS: tuple[str, ...] = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientBirthTime", "PatientSex",
    "PatientAge", "PatientAddress", "PatientTelephoneNumbers", "OtherPatientIDs",
    "OtherPatientNames", "OtherPatientIDsSequence", "PatientBirthName", "PatientMotherBirthName",
    "MedicalRecordLocator", "IssuerOfPatientID", "EthnicGroup", "AccessionNumber", "StudyID",
    "InstitutionName", "InstitutionAddress", "ReferringPhysicianName", "PerformingPhysicianName",
    "OperatorsName", "PhysiciansOfRecord", "RequestingPhysician", "StudyDate", "StudyTime",
    "AcquisitionDateTime", "ContentDate", "StationName", "DeviceSerialNumber",
)

_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")

DECODABLE = ("uncompressed (implicit or explicit VR, little or big endian, deflated), JPEG "
             "baseline/extended/lossless, JPEG-LS, JPEG 2000 or RLE")


def read_dataset(data: bytes, name: str, *, has_preamble: bool):
    """Parse DICOM bytes; a data set without preamble is read only when it was detected as one.

    Raises
    ------
    InvalidUploadError
        The bytes are not a readable DICOM data set (truncated header, junk).
    """
    import pydicom
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # force=True only for bytes sniffed as a data set without the preamble and 'DICM'.
            ds = pydicom.dcmread(io.BytesIO(data), force=not has_preamble)
            if not has_preamble and "TransferSyntaxUID" not in ds.file_meta:
                implicit, little = ds.original_encoding
                ds.file_meta.TransferSyntaxUID = (
                    ImplicitVRLittleEndian if implicit else
                    ExplicitVRLittleEndian if little else ExplicitVRBigEndian)
            # Parse every element now, so a truncated header fails here with a clear message.
            for _ in ds.iterall():
                pass
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds on damaged files
        raise InvalidUploadError(
            f"{name} starts like a DICOM file but could not be read ({_short(exc)}); expected "
            f"{EXPECTED}. The file is probably truncated or damaged: export it again from the "
            "viewer or PACS.") from exc
    return ds


def hidden_identifiers(ds) -> tuple[str, ...]:
    """Keywords of identifying attributes present with a value (the values are not returned)."""
    present = []
    for keyword in IDENTIFIER_KEYWORDS:
        element = ds.get(keyword)
        if element is not None and str(element).strip():
            present.append(keyword)
    return tuple(present)


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
        raise InvalidUploadError(
            f"{name} is a DICOM file without an image ({kind}); expected a DICOM image such as a "
            "CT, MR or radiograph. Upload the image series, not the report or plan.")
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
            options = as_pixel_options(ds, as_rgb=False)
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
    from pydicom.pixels import apply_color_lut, apply_modality_lut, convert_color_space

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
            array = _modality_lut(array, ds, apply_modality_lut)
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
            pixels = np.subtract(total, pixels, dtype=np.float32)
            inverted = True
            if window is not None:
                window = (total - window[0], window[1])
        photometric = "MONOCHROME2"
    if window is None and default_window:
        window = percentile_window(pixels)
    return Scan(pixels=pixels, modality=str(ds.get("Modality", "") or "OT"),
                metadata=display_metadata(ds, pixels.shape[0], inverted),
                window=window or (0.0, 1.0), photometric=photometric, source="dicom",
                hidden_identifiers=hidden_identifiers(ds), inverted=inverted,
                series_uid=str(ds.get("SeriesInstanceUID", "") or ""))


def dicom_window(ds) -> tuple[float, float] | None:
    """The file's first Window Center/Width (top level or shared functional groups), if valid."""
    sources = [ds]
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        sources += list(shared[0].get("FrameVOILUTSequence") or [])
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame:
        sources += list(per_frame[0].get("FrameVOILUTSequence") or [])
    for item in sources:
        center, width = _first(item.get("WindowCenter")), _first(item.get("WindowWidth"))
        if center is not None and width is not None and np.isfinite([center, width]).all() \
                and width > 0:
            return center, width
    return None


def display_metadata(ds, frames: int, inverted: bool) -> dict[str, Any]:
    """The de-identified display fields of a data set (see ``METADATA_LABELS``)."""
    spacing = ds.get("PixelSpacing") or ds.get("ImagerPixelSpacing")
    if spacing is None:
        measures = _functional_item(ds, "PixelMeasuresSequence")
        spacing = measures.get("PixelSpacing") if measures is not None else None
    photometric = str(ds.get("PhotometricInterpretation", ""))
    syntax = ds.file_meta.get("TransferSyntaxUID")
    info = {
        "modality": _text(ds.get("Modality")),
        "body_part": _text(ds.get("BodyPartExamined")),
        "study_description": _text(ds.get("StudyDescription")),
        "series_description": _text(ds.get("SeriesDescription")),
        "series_number": _text(ds.get("SeriesNumber")),
        "rows": int(ds.get("Rows", 0) or 0),
        "columns": int(ds.get("Columns", 0) or 0),
        "frames": frames,
        "pixel_spacing_mm": _spacing(spacing),
        "slice_thickness_mm": _text(ds.get("SliceThickness")),
        "photometric_interpretation": photometric + (" (inverted for display)" if inverted else ""),
        "bits_stored": _text(ds.get("BitsStored")),
        "transfer_syntax": getattr(syntax, "name", "") or _text(syntax),
        "manufacturer": _text(ds.get("Manufacturer")),
        "file_format": "DICOM",
    }
    return {key: value for key, value in info.items() if value not in (None, "")}


def _modality_lut(array: np.ndarray, ds, apply_modality_lut) -> np.ndarray:
    """Modality LUT: top-level Rescale/LUT, else the enhanced multi-frame functional groups."""
    if "RescaleSlope" in ds or "RescaleIntercept" in ds or "ModalityLUTSequence" in ds:
        return apply_modality_lut(array, ds)
    item = _functional_item(ds, "PixelValueTransformationSequence")
    if item is not None and ("RescaleSlope" in item or "RescaleIntercept" in item):
        slope = float(item.get("RescaleSlope", 1.0) or 1.0)
        intercept = float(item.get("RescaleIntercept", 0.0) or 0.0)
        return array.astype(np.float32) * np.float32(slope) + np.float32(intercept)
    return array


def _functional_item(ds, keyword: str):
    for groups in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        sequence = ds.get(groups)
        if sequence and keyword in sequence[0] and sequence[0][keyword].value:
            return sequence[0][keyword].value[0]
    return None


def _first(value) -> float | None:
    if value is None:
        return None
    try:
        if not isinstance(value, (str, bytes)) and hasattr(value, "__len__"):
            value = value[0] if len(value) else None
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _spacing(spacing) -> str:
    try:
        values = [float(v) for v in spacing or ()]
    except (TypeError, ValueError):
        return ""
    return " x ".join(f"{v:g}" for v in values) if values and all(v > 0 for v in values) else ""


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _sop_class_name(ds) -> str:
    uid = ds.get("SOPClassUID")
    name = getattr(uid, "name", "") if uid is not None else ""
    return f"a {name}" if name and name != str(uid) else "no Pixel Data element"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
