"""Series: many DICOM files (or zips of them) assembled into volumes, one per series.

Slices are ordered by Image Position (Patient) projected on the slice normal (the cross product
of the Image Orientation (Patient) row and column directions), falling back to Instance Number.
Files are told apart by Series Instance UID, so a mixed upload gives one volume per series;
slices of one series that differ in size (or in colour) form one volume per size.

Uploads are taken as hospitals produce them: every image is loaded, and each file that is not
(a report, a viewer program, a damaged slice) is returned in :attr:`LoadedSeries.skipped` with
its reason. System files (``DICOMDIR``, ``__MACOSX/``, dot-files, see
:func:`medcore.imaging.archive.is_system_file`) are skipped without a word. Only an upload with
no usable image at all raises.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from medcore.errors import InvalidUploadError
from medcore.imaging.archive import (MAX_ZIP_BYTES, MAX_ZIP_MEMBERS, expand_zip, is_system_file,
                                     member_label)
from medcore.imaging.dicom import dataset_to_scan, read_dataset
from medcore.imaging.raster import load_raster
from medcore.imaging.scan import ReadOnlyDict, Scan
from medcore.imaging.sources import (EXPECTED, MAX_FILE_BYTES, describe, megabytes, not_a_scan,
                                     read_source, sniff, source_size, too_large)
from medcore.imaging.window import percentile_window

__all__ = ["LoadedSeries", "MAX_ZIP_BYTES", "MAX_ZIP_MEMBERS", "SkippedFile", "assemble",
           "load_series", "slice_order"]

#: SOP Class of a DICOMDIR (Media Storage Directory Storage): an index, never an image.
DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
_DICOM = ("dicom", "dicom-no-preamble")


@dataclass(frozen=True)
class SkippedFile:
    """A file of an upload that was not loaded, and why.

    Attributes
    ----------
    name : str
        The file's name; a zip member as ``"study.zip/IMG/0001.dcm"``.
    reason : str
        What it holds and what was expected, as a sentence without the name
        (``"holds a text file, not a DICOM image; ..."``).
    """

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"

    @property
    def short_reason(self) -> str:
        """The reason's first clause, what the file holds (``"holds a text file"``)."""
        return self.reason.split("; ")[0].split(", not ")[0].split(": ")[0].rstrip(".")


@dataclass(frozen=True, eq=False)
class LoadedSeries:
    """What an upload gave: its series, and the files that were left out.

    Attributes
    ----------
    series : mapping of str -> Scan (read-only), in upload order
        One volume per series. Keys: the Series Instance UID; ``"UID:ROWSxCOLUMNS"`` (with
        ``":rgb"`` for colour) for each size of a series whose slices differ in size;
        ``"file:NAME"`` for a PNG/JPEG image or a DICOM file without a Series Instance UID.
    skipped : tuple of SkippedFile
        Every file that was not loaded, with its reason, in upload order.
    ignored : tuple of str
        System files skipped silently (``DICOMDIR``, ``__MACOSX/...``, dot-files,
        ``Thumbs.db``): for completeness, not for display.
    file_names : mapping of str -> tuple of str (read-only)
        The files each series was read from (same keys as ``series``; a zip member as
        ``"study.zip/IMG/0001.dcm"``), in slice order, so a page can name the scan it shows.
    """

    series: Mapping[str, Scan]
    skipped: tuple[SkippedFile, ...] = ()
    ignored: tuple[str, ...] = ()
    file_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "series", ReadOnlyDict(self.series))
        object.__setattr__(self, "file_names", ReadOnlyDict(
            {key: tuple(names) for key, names in self.file_names.items()}))
        object.__setattr__(self, "skipped", tuple(self.skipped))
        object.__setattr__(self, "ignored", tuple(self.ignored))


def load_series(sources: Any, *, filenames: Iterable[str] | None = None,
                max_zip_members: int = MAX_ZIP_MEMBERS, max_zip_bytes: int = MAX_ZIP_BYTES,
                max_bytes: int = MAX_FILE_BYTES) -> LoadedSeries:
    """Load many files or zips; assemble one :class:`Scan` per series; say what was skipped.

    Parameters
    ----------
    sources : path, bytes, file object, or a sequence of them
        DICOM files, .zip archives of DICOM files, PNG or JPEG images (a Streamlit
        ``UploadedFile`` works as is, read in memory).
    filenames : iterable of str, optional
        Display names for sources given as bytes.
    max_zip_members, max_zip_bytes : int
        Zip-bomb guard, per archive.
    max_bytes : int
        Largest upload, all sources together, in bytes. Checked from the sizes the sources
        state (``UploadedFile.size``, the file size of a path) before any byte is read.

    Returns
    -------
    LoadedSeries
        ``series``: key -> Scan whose ``pixels`` stack the slices along the first axis;
        ``skipped``: each file not loaded with its reason (a zip's non-DICOM files, damaged
        slices, non-image DICOM objects, unreadable files); ``ignored``: system files.

    Raises
    ------
    InvalidUploadError
        The upload is larger than ``max_bytes``, or holds no usable image at all (the message
        names every file and its reason; for a single file, its own message).
    """
    if isinstance(sources, (str, bytes, bytearray, memoryview)) or hasattr(sources, "read") \
            or hasattr(sources, "__fspath__") or not hasattr(sources, "__iter__"):
        sources = [sources]                     # one source (read_source says if it is none)
    sources = list(sources)
    if not sources:
        raise InvalidUploadError(f"received no files; expected {EXPECTED}. Choose the files "
                                 "to upload.")
    names = list(filenames) if filenames is not None else []
    labels = [names[i] if i < len(names) else None for i in range(len(sources))]
    _check_size(sources, labels, max_bytes)
    upload = _Upload()
    for source, label in zip(sources, labels):
        try:
            data, name = read_source(source, label)
        except InvalidUploadError as error:
            upload.skip(label or _name_of(source), error)
            continue
        if is_system_file(name):
            upload.ignored.append(name)
        elif sniff(data) == "zip":
            upload.add_zip(data, name, max_zip_members, max_zip_bytes)
        else:
            upload.add_file(data, name, top_level=True)
        del data
    result = upload.assemble()
    if not result:
        raise upload.nothing_loaded([label or _name_of(s) for s, label in zip(sources, labels)])
    return LoadedSeries(series=result, skipped=[s for s, _ in upload.skipped],
                        ignored=upload.ignored, file_names=upload.file_names)


class _Upload:
    """Collects an upload's data sets by series, its images, and what it skipped."""

    def __init__(self) -> None:
        self.entries: dict[str, list[tuple[Any, str]] | Scan] = {}   # upload order
        self.skipped: list[tuple[SkippedFile, str]] = []             # (entry, full message)
        self.ignored: list[str] = []
        self.instances: dict[str, str] = {}      # SOP Instance UID -> the file that holds it
        self.raster_names: dict[str, str] = {}   # key of a PNG/JPEG entry -> its file name
        self.file_names: dict[str, tuple[str, ...]] = {}   # series key -> its files

    def skip(self, name: str, error: InvalidUploadError | str, reason: str | None = None) -> None:
        """Record a skipped file: ``error`` is its full message (shown when nothing loads),
        ``reason`` the part listed beside a successful load (default: the message less the
        name)."""
        message = str(error)
        if reason is None:
            reason = message[len(name):].lstrip(" :") if message.startswith(name) else message
        self.skipped.append((SkippedFile(name, reason), message))

    def add_zip(self, data: bytes, name: str, max_members: int, max_bytes: int) -> None:
        try:
            files, ignored = expand_zip(data, name, max_members=max_members, max_bytes=max_bytes)
        except InvalidUploadError as error:
            self.skip(name, error)
            return
        self.ignored.extend(member_label(name, member) for member in ignored)
        for member, content in files:
            self.add_file(content, member_label(name, member), top_level=False)

    def add_file(self, data: bytes, name: str, *, top_level: bool) -> None:
        kind = sniff(data)
        if kind in _DICOM:
            try:
                ds = read_dataset(data, name, has_preamble=kind == "dicom")
            except InvalidUploadError as error:
                self.skip(name, error)
                return
            if _is_dicomdir(ds):
                self.ignored.append(name)
                return
            instance = str(ds.get("SOPInstanceUID", "") or "")
            if instance and instance in self.instances:
                self.skip(name, f"{name} is the same image as {self.instances[instance]} (the "
                                "same SOP Instance UID), uploaded twice; it is loaded once.")
                return
            if instance:
                self.instances[instance] = name
            uid = str(ds.get("SeriesInstanceUID", "") or "") or f"file:{name}"
            members = self.entries.setdefault(uid, [])
            if isinstance(members, list):
                members.append((ds, name))
            return
        if top_level and kind in ("png", "jpeg"):
            try:
                scan = load_raster(data, name, kind)
            except InvalidUploadError as error:
                self.skip(name, error)
                return
            key, number = f"file:{name}", 2
            while key in self.entries:
                key, number = f"file:{name} ({number})", number + 1
            self.entries[key] = scan
            self.raster_names[key] = name
        elif top_level:
            self.skip(name, not_a_scan(name, kind),
                      "is empty (0 bytes): its export or upload was interrupted"
                      if kind == "empty" else
                      f"holds {describe(kind)}, not a scan (DICOM, a zip of DICOM files, PNG or "
                      "JPEG)")
        elif kind in ("png", "jpeg"):
            self.skip(name, f"{name} holds {describe(kind)}, not a DICOM image (exports often "
                            "add thumbnails): only a zip's DICOM files are loaded. To view this "
                            "image, upload it on its own.")
        else:
            self.skip(name, f"{name} holds {describe(kind)}, not a DICOM image: only a zip's "
                            "DICOM files are loaded.")

    def assemble(self) -> dict[str, Scan]:
        result: dict[str, Scan] = {}
        for key, entry in self.entries.items():
            if isinstance(entry, Scan):
                result[key] = entry
                self.file_names[key] = (self.raster_names[key],)
                continue
            parts = _decode_by_size(entry, self)
            for scans, datasets, names in parts:
                part_key = key if len(parts) == 1 else f"{key}:{_size_tag(scans[0])}"
                result[part_key] = _stack(scans, datasets)
                self.file_names[part_key] = tuple(names)
        return result

    def nothing_loaded(self, names: list[str]) -> InvalidUploadError:
        what = names[0] if len(names) == 1 else f"The upload ({len(names)} files)"
        if len(self.skipped) == 1 and not self.ignored and self.skipped[0][0].name in names:
            return InvalidUploadError(self.skipped[0][1])        # one file: its own message
        if not self.skipped:
            shown = ", ".join(self.ignored[:4]) + (" ..." if len(self.ignored) > 4 else "")
            return InvalidUploadError(
                f"{what} holds only system files and indexes ({shown}); expected {EXPECTED}. "
                "A DICOMDIR is the index of a CD or PACS export, not an image: upload the image "
                "files in the folders beside it, or zip the whole export folder.")
        listed = "; ".join(f"{s.name}: {s.short_reason}" for s, _ in self.skipped[:6])
        more = f"; and {len(self.skipped) - 6} more" if len(self.skipped) > 6 else ""
        return InvalidUploadError(
            f"{what} holds no usable image ({listed}{more}). Expected {EXPECTED}. Export the "
            "scan again from the viewer or PACS and upload its image files.")


def _name_of(source: Any) -> str:
    if isinstance(source, (str, Path)) or hasattr(source, "__fspath__"):
        return Path(source).name
    return Path(str(getattr(source, "name", "") or "the uploaded bytes")).name


def _check_size(sources: list, labels: list[str | None], max_bytes: int) -> None:
    sizes = [source_size(source) for source in sources]
    total = sum(size for size in sizes if size is not None)
    if total <= max_bytes:
        return
    if len(sources) == 1:
        raise too_large(labels[0] or _name_of(sources[0]), total, max_bytes)
    raise InvalidUploadError(
        f"The upload ({len(sources)} files) is {megabytes(total)} together; expected at most "
        f"{megabytes(max_bytes)} per upload (the dashboard decodes uploads in memory). Upload "
        "one series at a time, or fewer slices.")


def _is_dicomdir(ds) -> bool:
    sop_class = str(ds.file_meta.get("MediaStorageSOPClassUID", "") or ds.get("SOPClassUID", "")
                    or "")
    return sop_class == DICOMDIR_SOP_CLASS or "DirectoryRecordSequence" in ds


def _size_tag(scan: Scan) -> str:
    rows, columns = scan.pixels.shape[1:3]
    return f"{rows}x{columns}" + (":rgb" if scan.is_colour else "")


def _decode_by_size(members: list[tuple[Any, str]],
                    upload: _Upload) -> list[tuple[list[Scan], list, list[str]]]:
    """Decode the slices of one series in slice order; group them by size (and colour).

    Slices that cannot be decoded (no pixel data, damaged, unsupported compression) are
    recorded as skipped. Returns ``(scans, datasets, file names)`` per size, most slices first (the main
    volume; a stray localiser or secondary capture follows).
    """
    order = slice_order([ds for ds, _ in members])
    parts: dict[tuple[int, ...], tuple[list[Scan], list, list[str]]] = {}
    for index in order:
        ds, name = members[index]
        try:
            scan = dataset_to_scan(ds, name, default_window=False)
        except InvalidUploadError as error:
            upload.skip(name, error)
            continue
        scans, datasets, names = parts.setdefault(scan.pixels.shape[1:], ([], [], []))
        scans.append(scan)
        datasets.append(ds)
        names.append(name)
    return sorted(parts.values(), key=lambda part: -len(part[0]))


def slice_order(datasets: list) -> list[int]:
    """Indices of ``datasets`` in slice order (see the module docstring); upload order when
    neither positions nor instance numbers are readable."""
    positions: list[float] | None = []
    try:
        for ds in datasets:
            orientation = ds.get("ImageOrientationPatient")
            position = ds.get("ImagePositionPatient")
            if orientation is None or position is None or len(orientation) != 6 \
                    or len(position) != 3:
                positions = None
                break
            row, column = np.asarray(orientation[:3], float), np.asarray(orientation[3:], float)
            positions.append(float(np.dot(np.cross(row, column), np.asarray(position, float))))
    except (TypeError, ValueError):
        positions = None
    if positions is not None and len(set(positions)) == len(positions):
        return sorted(range(len(datasets)), key=positions.__getitem__)
    try:
        numbers = [int(ds.get("InstanceNumber", 0) or 0) for ds in datasets]
    except (TypeError, ValueError):
        return list(range(len(datasets)))
    return sorted(range(len(datasets)), key=numbers.__getitem__)


def assemble(members: list[tuple[Any, str]]) -> Scan:
    """Decode the data sets of one series and stack them in slice order.

    Raises
    ------
    InvalidUploadError
        A slice cannot be decoded, or the slices differ in size or colour (:func:`load_series`
        splits such a series by size instead).
    """
    upload = _Upload()
    parts = _decode_by_size(members, upload)
    if upload.skipped:
        raise InvalidUploadError(upload.skipped[0][1])
    if len(parts) > 1:
        (first, _), (other, _) = parts[0], parts[1]
        raise InvalidUploadError(
            f"the series holds slices of {first[0].pixels.shape[1:]} and of "
            f"{other[0].pixels.shape[1:]}; expected slices of one size. Upload the series as "
            "exported by the scanner, without files of other series.")
    return _stack(*parts[0])


def _stack(scans: list[Scan], datasets: list) -> Scan:
    """One volume from decoded slices of one size, in slice order."""
    first = scans[0]
    pixels = first.pixels if len(scans) == 1 else np.concatenate([s.pixels for s in scans], 0)
    middle = scans[len(scans) // 2]
    window = middle.window if middle.window != (0.0, 1.0) else percentile_window(pixels)
    if len(scans) == 1:
        return replace(first, window=window)
    metadata = dict(first.metadata, frames=int(pixels.shape[0]))
    spacing = _slice_spacing(datasets)
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
