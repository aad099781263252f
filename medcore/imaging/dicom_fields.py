"""Reading the few DICOM attributes the dashboard shows, quickly and without identifiers.

pydicom converts an element's value on first access (~7 microseconds each). The display fields
are all text (CS, LO, SH, DS, IS, UI), so ASCII values are decoded here straight from the raw
element (``Dataset.get_item``); anything else (non-ASCII text, converted elements) goes through
pydicom's own conversion. Identifying attributes are only tested for presence: their values are
never decoded.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

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


@lru_cache(maxsize=None)
def _tag(keyword: str) -> int:
    from pydicom.datadict import tag_for_keyword

    return tag_for_keyword(keyword)


def has(ds, keyword: str) -> bool:
    """Whether the data set holds the attribute (empty or not)."""
    return _tag(keyword) in ds


def text(ds, keyword: str) -> str:
    """A text attribute as a stripped string ("" when absent); values joined by backslashes."""
    element = ds.get_item(_tag(keyword))
    if element is None:
        return ""
    value = element.value
    if isinstance(value, bytes) and value.isascii():
        return value.decode("ascii").strip(" \x00")
    if isinstance(value, bytes):
        value = ds[_tag(keyword)].value
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v).strip() for v in value)
    return str(value).strip()


def numbers(ds, keyword: str) -> list[float]:
    """A numeric text attribute (DS/IS) as floats; [] when absent or unreadable."""
    raw = text(ds, keyword)
    try:
        return [float(part) for part in raw.split("\\")] if raw else []
    except ValueError:
        return []


def hidden_identifiers(ds) -> tuple[str, ...]:
    """Keywords of identifying attributes present with a value (the values are not decoded)."""
    present = []
    for keyword in IDENTIFIER_KEYWORDS:
        element = ds.get_item(_tag(keyword))
        if element is None:
            continue
        value = element.value
        empty = (not value.strip(b" \x00")) if isinstance(value, bytes) else \
            ds[_tag(keyword)].is_empty
        if not empty:
            present.append(keyword)
    return tuple(present)


#: Ages above this are reported as this (HIPAA Safe Harbor treats ages over 89 as identifying).
MAX_REPORTED_AGE = 90
#: Patient's Age (VR AS) units, in years.
_AGE_UNITS = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0}
#: Dates of the examination, in order of preference, for an age from the birth date.
_EXAM_DATES = ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")


def age_years(ds) -> int | None:
    """The patient's age in whole years at the examination, capped at :data:`MAX_REPORTED_AGE`.

    From Patient's Age (``"064Y"``, ``"018M"``, ``"003W"``, ``"010D"``), else from Patient's
    Birth Date and the first exam date present (study, series, acquisition, content). ``None``
    when neither gives a valid age. Only the whole years leave this function: the dates are
    not kept.
    """
    import datetime

    raw = text(ds, "PatientAge").upper()
    if len(raw) == 4 and raw[:3].isdigit() and raw[3] in _AGE_UNITS:
        return min(int(int(raw[:3]) * _AGE_UNITS[raw[3]]), MAX_REPORTED_AGE)

    def date(keyword: str) -> datetime.date | None:
        value = text(ds, keyword)[:8]
        try:
            return datetime.datetime.strptime(value, "%Y%m%d").date() if len(value) == 8 else None
        except ValueError:
            return None

    born = date("PatientBirthDate")
    exam = next((d for d in map(date, _EXAM_DATES) if d is not None), None)
    if born is None or exam is None or exam < born:
        return None
    years = exam.year - born.year - ((exam.month, exam.day) < (born.month, born.day))
    return min(years, MAX_REPORTED_AGE)


def functional_item(ds, keyword: str, *, shared_only: bool = False):
    """The first item of ``keyword`` in the shared (else first per-frame) functional groups."""
    groups = ["SharedFunctionalGroupsSequence"]
    if not shared_only:
        groups.append("PerFrameFunctionalGroupsSequence")
    for group in groups:
        if not has(ds, group):
            continue
        sequence = ds[_tag(group)].value
        if sequence and keyword in sequence[0] and sequence[0][keyword].value:
            return sequence[0][keyword].value[0]
    return None


def dicom_window(ds) -> tuple[float, float] | None:
    """The file's first Window Center/Width (top level or functional groups), if valid."""
    items = [ds]
    for shared_only in (True, False):
        item = functional_item(ds, "FrameVOILUTSequence", shared_only=shared_only)
        if item is not None:
            items.append(item)
    for item in items:
        centers, widths = numbers(item, "WindowCenter"), numbers(item, "WindowWidth")
        if centers and widths and np.isfinite([centers[0], widths[0]]).all() and widths[0] > 0:
            return centers[0], widths[0]
    return None


def display_metadata(ds, frames: int, inverted: bool) -> dict[str, Any]:
    """The de-identified display fields of a data set (see ``METADATA_LABELS``)."""
    spacing = numbers(ds, "PixelSpacing") or numbers(ds, "ImagerPixelSpacing")
    if not spacing:
        measures = functional_item(ds, "PixelMeasuresSequence")
        spacing = numbers(measures, "PixelSpacing") if measures is not None else []
    photometric = text(ds, "PhotometricInterpretation")
    syntax = ds.file_meta.get("TransferSyntaxUID")
    info = {
        "modality": text(ds, "Modality"),
        "body_part": text(ds, "BodyPartExamined"),
        "study_description": text(ds, "StudyDescription"),
        "series_description": text(ds, "SeriesDescription"),
        "series_number": text(ds, "SeriesNumber"),
        "rows": int(ds.Rows),
        "columns": int(ds.Columns),
        "frames": frames,
        "pixel_spacing_mm": " x ".join(f"{v:.4g}" for v in spacing)
        if spacing and all(v > 0 for v in spacing) else "",
        "slice_thickness_mm": " ".join(f"{v:g}" for v in numbers(ds, "SliceThickness")),
        "photometric_interpretation": photometric + (" (inverted for display)" if inverted else ""),
        "bits_stored": int(ds.BitsStored) if has(ds, "BitsStored") else "",
        "transfer_syntax": getattr(syntax, "name", "") or ("" if syntax is None else str(syntax)),
        "manufacturer": text(ds, "Manufacturer"),
        "file_format": "DICOM",
    }
    return {key: value for key, value in info.items() if value not in (None, "")}
