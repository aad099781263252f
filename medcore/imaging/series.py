"""Series: many DICOM files (or one .zip of them) assembled into volumes, one per series.

Slices are ordered by Image Position (Patient) projected on the slice normal (the cross product
of the Image Orientation (Patient) row and column directions), falling back to Instance Number.
Files are told apart by Series Instance UID, so a mixed upload gives one volume per series.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any, Iterable

import numpy as np

from medcore.errors import InvalidUploadError
from medcore.imaging.dicom import dataset_to_scan, read_dataset
from medcore.imaging.raster import load_raster
from medcore.imaging.scan import Scan
from medcore.imaging.sources import describe, not_a_scan, read_source, sniff
from medcore.imaging.window import percentile_window

#: Zip-bomb guard: most members and most uncompressed bytes one .zip may hold.
MAX_ZIP_MEMBERS = 5000
MAX_ZIP_BYTES = 1024 * 1024 * 1024

#: Members of a zip skipped silently: folders' metadata from macOS/Windows and DICOMDIR indexes.
_SKIPPED = ("__MACOSX/", ".DS_Store", "Thumbs.db", "DICOMDIR")


def expand_zip(data: bytes, name: str, *, max_members: int = MAX_ZIP_MEMBERS,
               max_bytes: int = MAX_ZIP_BYTES) -> list[tuple[str, bytes]]:
    """The ``(member name, bytes)`` of the files in a zip, read in memory within the limits.

    Raises
    ------
    InvalidUploadError
        A damaged or encrypted zip, more than ``max_members`` files or more than ``max_bytes``
        uncompressed (a zip bomb), or no files at all.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()
                   and not any(part in m.filename for part in _SKIPPED)
                   and not PurePosixPath(m.filename).name.startswith(".")]
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidUploadError(f"{name} is a damaged zip archive ({exc}); expected a .zip of "
                                 "DICOM files. Create the zip again and re-upload.") from exc
    if len(members) > max_members:
        raise InvalidUploadError(
            f"{name} holds {len(members)} files; expected at most {max_members}. Upload one "
            "series at a time.")
    declared = sum(m.file_size for m in members)
    if declared > max_bytes:
        raise InvalidUploadError(
            f"{name} unpacks to {declared / 1e6:,.0f} MB; expected at most {max_bytes / 1e6:,.0f}"
            " MB (a guard against zip bombs). Upload fewer slices per zip.")
    files, total = [], 0
    for member in members:
        try:
            with archive.open(member) as handle:
                content = handle.read(member.file_size + 1)
        except Exception as exc:  # noqa: BLE001 - encrypted, unsupported method, CRC error
            raise InvalidUploadError(
                f"{name}: member {member.filename} could not be unpacked ({type(exc).__name__}: "
                f"{exc}); expected an unencrypted, intact .zip. Create the zip again without a "
                "password.") from exc
        total += len(content)
        if len(content) > member.file_size or total > max_bytes:
            raise InvalidUploadError(
                f"{name} unpacks to more than its declared size; expected at most "
                f"{max_bytes / 1e6:,.0f} MB (a guard against zip bombs). Upload fewer slices.")
        files.append((member.filename, content))
    if not files:
        raise InvalidUploadError(f"{name} is an empty zip; expected a .zip of DICOM files. Add "
                                 "the series' files to the zip.")
    return files


def load_series(sources: Any, *, filenames: Iterable[str] | None = None,
                max_zip_members: int = MAX_ZIP_MEMBERS,
                max_zip_bytes: int = MAX_ZIP_BYTES) -> dict[str, Scan]:
    """Load many files or zips and assemble one :class:`Scan` per series.

    Parameters
    ----------
    sources : path, bytes, file object, or a sequence of them
        DICOM files, .zip archives of DICOM files, PNG or JPEG images.
    filenames : iterable of str, optional
        Display names for sources given as bytes.
    max_zip_members, max_zip_bytes : int
        Zip-bomb guard, per archive.

    Returns
    -------
    dict
        Series Instance UID (or ``"file:NAME"`` for images and files without one) -> Scan, in
        upload order. A series' ``pixels`` stack its slices along the first axis.

    Raises
    ------
    InvalidUploadError
        Any file is unreadable, a zip holds a non-DICOM file, or a series' slices differ in size.
    """
    if isinstance(sources, (str, bytes, bytearray, memoryview)) or hasattr(sources, "read") \
            or hasattr(sources, "__fspath__"):
        sources = [sources]
    names = list(filenames) if filenames is not None else []
    groups: dict[str, list[tuple[Any, str]]] = {}
    singles: dict[str, Scan] = {}
    for position, source in enumerate(sources):
        data, name = read_source(source, names[position] if position < len(names) else None)
        kind = sniff(data)
        if kind == "zip":
            for member, content in expand_zip(data, name, max_members=max_zip_members,
                                              max_bytes=max_zip_bytes):
                member_kind = sniff(content)
                label = f"{name}/{member}"
                if member_kind not in ("dicom", "dicom-no-preamble"):
                    raise InvalidUploadError(
                        f"{label} in the zip holds {describe(member_kind)}; expected only DICOM "
                        "files in a series zip. Remove the other files (reports, images, "
                        "notes) from the zip, or upload the images on their own.")
                _group(groups, content, label, member_kind)
        elif kind in ("dicom", "dicom-no-preamble"):
            _group(groups, data, name, kind)
        elif kind in ("png", "jpeg"):
            singles[f"file:{name}"] = load_raster(data, name, kind)
        else:
            raise not_a_scan(name, kind)
    result: dict[str, Scan] = {}
    for uid, members in groups.items():
        result[uid] = assemble(members)
    result.update(singles)
    return result


def _group(groups: dict, data: bytes, name: str, kind: str) -> None:
    ds = read_dataset(data, name, has_preamble=kind == "dicom")
    uid = str(ds.get("SeriesInstanceUID", "") or "") or f"file:{name}"
    groups.setdefault(uid, []).append((ds, name))


def slice_order(datasets: list) -> list[int]:
    """Indices of ``datasets`` in slice order (see the module docstring)."""
    positions = []
    for ds in datasets:
        orientation, position = ds.get("ImageOrientationPatient"), ds.get("ImagePositionPatient")
        if orientation is None or position is None or len(orientation) != 6 or len(position) != 3:
            positions = None
            break
        row, column = np.asarray(orientation[:3], float), np.asarray(orientation[3:], float)
        positions.append(float(np.dot(np.cross(row, column), np.asarray(position, float))))
    if positions is not None and len(set(positions)) == len(positions):
        return sorted(range(len(datasets)), key=positions.__getitem__)
    numbers = [int(ds.get("InstanceNumber", 0) or 0) for ds in datasets]
    return sorted(range(len(datasets)), key=numbers.__getitem__)


def assemble(members: list[tuple[Any, str]]) -> Scan:
    """Decode the data sets of one series and stack them in slice order.

    Raises
    ------
    InvalidUploadError
        A slice cannot be decoded, or the slices differ in size or colour.
    """
    if len(members) == 1:
        ds, name = members[0]
        return dataset_to_scan(ds, name)
    order = slice_order([ds for ds, _ in members])
    scans = [dataset_to_scan(members[i][0], members[i][1], default_window=False) for i in order]
    first = scans[0]
    for scan, index in zip(scans, order):
        if scan.pixels.shape[1:] != first.pixels.shape[1:]:
            raise InvalidUploadError(
                f"{members[index][1]} is {scan.pixels.shape[1:]} but {members[order[0]][1]} of "
                f"the same series is {first.pixels.shape[1:]}; expected slices of one size. "
                "Upload the series as exported by the scanner, without files of other series.")
    pixels = np.concatenate([scan.pixels for scan in scans], axis=0)
    middle = scans[len(scans) // 2]
    window = middle.window if middle.window != (0.0, 1.0) else percentile_window(pixels)
    metadata = dict(first.metadata, frames=int(pixels.shape[0]))
    spacing = _slice_spacing([members[i][0] for i in order])
    if spacing:
        metadata["slice_spacing_mm"] = f"{spacing:g}"
    hidden = tuple(sorted({k for scan in scans for k in scan.hidden_identifiers}))
    return replace(first, pixels=pixels, window=window, metadata=metadata,
                   hidden_identifiers=hidden)


def _slice_spacing(datasets: list) -> float | None:
    try:
        ds0, ds1 = datasets[0], datasets[1]
        orientation = np.asarray(ds0.ImageOrientationPatient, float)
        normal = np.cross(orientation[:3], orientation[3:])
        step = abs(float(np.dot(normal, np.asarray(ds1.ImagePositionPatient, float)
                                - np.asarray(ds0.ImagePositionPatient, float))))
        return round(step, 4) or None
    except (AttributeError, IndexError, ValueError, TypeError):
        return None
