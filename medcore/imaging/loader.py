"""``load_scan``: one upload (path, bytes or file object) in, one :class:`Scan` out."""
from __future__ import annotations

from typing import Any

from medcore.errors import InvalidUploadError
from medcore.imaging.dicom import dataset_to_scan, read_dataset
from medcore.imaging.raster import load_raster
from medcore.imaging.scan import Scan
from medcore.imaging.series import load_series
from medcore.imaging.sources import EXPECTED, local_file_head, not_a_scan, read_source, sniff


def load_scan(source: Any, *, filename: str | None = None) -> Scan:
    """Read a DICOM file, a zip of one DICOM series, or a PNG/JPEG image into a :class:`Scan`.

    A zip's files other than its series' DICOM files (a README, a DICOMDIR) are left out; to
    learn which, and why, use :func:`~medcore.imaging.load_series`.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file object
        A path, the file's bytes, or an open binary file such as a Streamlit ``UploadedFile``
        (read in memory, never written to disk).
    filename : str, optional
        Display name for messages (default: the file's name).

    Returns
    -------
    Scan
        ``pixels`` float32, shape (frames, rows, columns) or (frames, rows, columns, 3).

    Raises
    ------
    InvalidUploadError
        Anything unreadable: the message says what was received, what was expected and how to
        fix it. No other exception escapes.
    """
    try:
        local = local_file_head(source)
        local_kind = sniff(local[1]) if local is not None else None
        if local_kind in ("dicom", "dicom-no-preamble"):
            path = local[0]
            return dataset_to_scan(read_dataset(path, filename or path.name,
                                                has_preamble=local_kind == "dicom"),
                                   filename or path.name)
        data, name = read_source(source, filename)
        kind = sniff(data)
        if kind in ("dicom", "dicom-no-preamble"):
            return dataset_to_scan(read_dataset(data, name, has_preamble=kind == "dicom"), name)
        if kind in ("png", "jpeg"):
            return load_raster(data, name, kind)
        if kind == "zip":
            return _single_series(data, name)
        raise not_a_scan(name, kind)
    except InvalidUploadError:
        raise
    except MemoryError as exc:
        raise InvalidUploadError(
            f"{filename or 'The upload'} is too large to decode in memory; expected a scan that "
            "fits in memory. Upload fewer slices or a smaller image.") from exc
    except Exception as exc:  # noqa: BLE001 - the contract: nothing but InvalidUploadError
        raise InvalidUploadError(
            f"{filename or 'The upload'} could not be read ({type(exc).__name__}); expected "
            f"{EXPECTED}. Export the scan again; if it persists, report it with the file "
            "type (not the file).") from exc


def _single_series(data: bytes, name: str) -> Scan:
    """The one series of a zip (its other files, e.g. a README, are left out)."""
    series = load_series([data], filenames=[name]).series
    if len(series) != 1:
        raise InvalidUploadError(
            f"{name} holds {len(series)} series; expected one. Pick one with load_series (the "
            "Upload page lists them), or zip one series only.")
    return next(iter(series.values()))
